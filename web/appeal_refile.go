package web

import (
	"context"
	"errors"

	"github.com/yibao-dev/yibao/evaluate"
)

// refileAllowed applies evaluate.CheckRefile to a hospital's earlier appeals on the target.
func (s *Server) refileAllowed(ctx context.Context, a evaluate.Appeal) error {
	rows, err := s.cockpit.AppealsOn(ctx, a.Hospital, a.Target)
	if err != nil { // the client learns nothing of the store's error
		s.log.Printf("appeals on %s: %v", a.Target, err)
		return errors.New("could not check earlier appeals; try again (暂时无法核对既往申诉，请重试)")
	}
	prior := make([]evaluate.Appeal, len(rows))
	for i, r := range rows {
		prior[i] = evaluate.Appeal{ID: r.ID, Hospital: r.Hospital, Target: r.Target, Reason: r.Reason, State: r.State}
	}
	return evaluate.CheckRefile(prior, a)
}
