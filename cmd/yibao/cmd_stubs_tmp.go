package main

import (
	"context"

	"github.com/yibao-dev/yibao/grouper"
)

func runDemo(ctx context.Context, e *env, args []string) error  { return nil }
func groupStore(ctx context.Context, e *env, s *grouper.Scheme, dir string, workers int, quiet bool) (groupSummary, error) {
	return groupSummary{}, nil
}
