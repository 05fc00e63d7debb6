package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/yibao-dev/yibao/evaluate"
)

func runEvaluate(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "topsis":
			return runTOPSIS(e, args[1:])
		case "ahp":
			return runAHP(e, args[1:])
		case "league":
			return runLeague(ctx, e, args[1:])
		case "credit":
			return runCredit(ctx, e, args[1:])
		case "technology":
			return runTechnology(ctx, e, args[1:])
		case "indicators":
			return runIndicatorDefinitions(e, args[1:])
		}
	}
	return runEvaluateStore(ctx, e, args)
}

func runTOPSIS(e *env, args []string) error {
	fs := newFlags(e, "evaluate topsis", "evaluate topsis --in matrix.csv --weights weights.csv --out scores.csv")
	in := fs.String("in", "", "matrix.csv: hospital,<indicator>…")
	wf := fs.String("weights", "", "weights.csv: indicator,weight,direction (max|min)")
	out := fs.String("out", "", "scores.csv: hospital,score,rank (default standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *wf == "" {
		return usageError{msg: "--in and --weights are required"}
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	names, inds, x, err := evaluate.ReadMatrix(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	g, err := os.Open(*wf)
	if err != nil {
		return err
	}
	defer g.Close()
	w, dir, err := evaluate.ReadWeights(g, inds)
	if err != nil {
		return fmt.Errorf("%s: %w", *wf, err)
	}
	res, err := evaluate.TOPSIS(names, x, w, dir)
	if err != nil {
		return err
	}
	dst := e.stdout
	if *out != "" {
		o, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer o.Close()
		dst = o
	}
	cw := csv.NewWriter(dst)
	cw.Write([]string{"hospital", "score", "rank"})
	for _, r := range res {
		cw.Write([]string{r.Name, strconv.FormatFloat(r.Closeness, 'f', 6, 64), strconv.Itoa(r.Rank)})
	}
	cw.Flush()
	return cw.Error()
}

func runAHP(e *env, args []string) error {
	fs := newFlags(e, "evaluate ahp", "evaluate ahp --in pairwise.csv [--json]")
	in := fs.String("in", "", "pairwise.csv: square matrix with a header row and criterion names in the first column")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return usageError{msg: "--in is required"}
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	names, a, err := evaluate.ReadPairwise(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	r, err := evaluate.AHP(a)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if *asJSON {
		ws := map[string]float64{}
		for i, n := range names {
			ws[n] = r.Weights[i]
		}
		return json.NewEncoder(e.stdout).Encode(map[string]any{"weights": ws, "lambda_max": r.LambdaMax, "ci": r.CI, "ri": r.RI, "cr": r.CR})
	}
	fmt.Fprintln(e.stdout, "criterion,weight")
	for i, n := range names {
		fmt.Fprintf(e.stdout, "%s,%.6f\n", n, r.Weights[i])
	}
	fmt.Fprintf(e.stdout, "lambda_max,%.6f\nCI,%.6f\nRI,%.2f\nCR,%.6f\n", r.LambdaMax, r.CI, r.RI, r.CR)
	return nil
}
