package web

import (
	"context"

	"github.com/yibao-dev/yibao/evaluate"
)

// refileAllowed applies evaluate.CheckRefile to a hospital's earlier appeals on the target.
func (s *Server) refileAllowed(ctx context.Context, a evaluate.Appeal) error {
	rows, err := s.cockpit.AppealsOn(ctx, a.Hospital, a.Target)
	if err != nil {
		return err
	}
	prior := make([]evaluate.Appeal, len(rows))
	for i, r := range rows {
		prior[i] = evaluate.Appeal{ID: r.ID, Hospital: r.Hospital, Target: r.Target, Reason: r.Reason, State: r.State}
	}
	return evaluate.CheckRefile(prior, a)
}
