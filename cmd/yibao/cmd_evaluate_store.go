package main

import "context"

func runEvaluateStore(ctx context.Context, e *env, args []string) error {
	return usageError{msg: "usage: yibao evaluate topsis|ahp … or yibao evaluate --db DIR --period YYYY"}
}
