package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/yibao-dev/yibao/audit"
	"time"

	"github.com/yibao-dev/yibao/synth"
)

func runSynth(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "synth", "synth --seed N --hospitals H --persons P --months M --out DIR [--irregular SHARE] [--json]")
	cfg := synthFlags(fs)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.Out == "" {
		return usageError{msg: "--out is required"}
	}
	sum, secs, err := synthesise(ctx, e, *cfg, *asJSON)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(struct {
			synth.Summary
			Seconds float64 `json:"seconds"`
		}{sum, secs})
	}
	printSynth(e, cfg.Out, sum, secs)
	return nil
}

func synthFlags(fs interface {
	Uint64Var(*uint64, string, uint64, string)
	IntVar(*int, string, int, string)
	Float64Var(*float64, string, float64, string)
	StringVar(*string, string, string, string)
}) *synth.Config {
	cfg := &synth.Config{}
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed (same seed, same bytes)")
	fs.IntVar(&cfg.Hospitals, "hospitals", 45, "number of hospitals")
	fs.IntVar(&cfg.Persons, "persons", 100000, "insured persons")
	fs.IntVar(&cfg.Months, "months", 24, "months simulated, from 2024-01")
	fs.Float64Var(&cfg.Irregular, "irregular", 0.05, "share of inpatient stays given an irregularity")
	fs.StringVar(&cfg.Out, "out", "", "output directory")
	return cfg
}

func synthesise(ctx context.Context, e *env, cfg synth.Config, quiet bool) (synth.Summary, float64, error) {
	prog := newProgress(e.stderr, "synth: persons", quiet)
	start := time.Now()
	cfg.Progress = func(done, total int) {
		prog.update(done, float64(done)/float64(total), time.Since(start))
	}
	sum, err := synth.Run(ctx, cfg)
	if err == nil {
		err = synth.WriteFundLedger(cfg.Out, cfg) // the fund ledger (docs/formats.md) for the books
	}
	prog.done()
	return sum, time.Since(start).Seconds(), err
}

func printSynth(e *env, out string, sum synth.Summary, secs float64) {
	fmt.Fprintf(e.stdout, "synth: %d hospitals, %d persons, %d settlements (%d inpatient, %d outpatient), %d fee lines, %.1f MB in %.1fs (%.0f settlements/s) → %s\n",
		sum.Hospitals, sum.Persons, sum.Settlements, sum.Inpatient, sum.Outpatient, sum.FeeLines, float64(sum.Bytes)/1e6, secs,
		float64(sum.Settlements)/secs, out)
	names := map[string]string{}
	for c := range sum.Labels {
		names[c] = audit.CategoryZh(c)
	}
	fmt.Fprintf(e.stdout, "labels (injected irregularities): %s\n", countsLine(sum.Labels, names))
}
