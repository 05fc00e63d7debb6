package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/schemes"
	"github.com/yibao-dev/yibao/synth"
)

// runDemo builds a synthetic region and runs the pipeline on it stage by stage.
func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "demo [--out DIR] [--db DIR] [--persons N] [--seed N]")
	cfg := synthFlags(fs)
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.Out == "" {
		cfg.Out = "demo-region"
	}
	if cfg.Persons == 100000 {
		cfg.Persons = 120000 // the demo's default region: a few hundred thousand settlements
	}
	dir := dataDir(e, *db)
	// A demo starts from scratch: the region and store of a previous demo are replaced.
	for _, d := range []string{cfg.Out, dir} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "== 1/3 synthetic region (合成地区): seed %d, %d hospitals, %d persons, %d months\n", cfg.Seed, cfg.Hospitals, cfg.Persons, cfg.Months)
	sum, secs, err := synthesise(ctx, e, *cfg, false)
	if err != nil {
		return err
	}
	printSynth(e, cfg.Out, sum, secs)

	fmt.Fprintf(e.stdout, "== 2/3 ingest (采集入库) into %s\n", dir)
	isum, st, err := ingestPaths(ctx, e, dir, "", 0, false, []string{
		filepath.Join(cfg.Out, synth.HospitalsFile), filepath.Join(cfg.Out, synth.SettlementsFile)})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := reportIngest(ctx, e, st, isum, "", false, false); err != nil {
		return err
	}

	fmt.Fprintln(e.stdout, "== 3/3 DRG grouping (分组) with the demo scheme")
	scheme, err := grouper.Parse(schemes.DemoDRG)
	if err != nil {
		return fmt.Errorf("demo scheme: %w", err)
	}
	gsum, err := groupStored(ctx, e, st, scheme, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "grouped %d inpatient settlements with %s %s: %v\n", gsum.Cases, scheme.ID, scheme.Version, gsum.ByStatus)
	return nil
}
