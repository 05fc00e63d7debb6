package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// demoDIP runs the DIP stage of the demo: a catalogue from the last quarter of 2024, every
// stored stay assigned, and 2025 settled on the pooled-fund basis with a budget of the 2024
// fund outlay on inpatient stays plus 3% (demo choices, docs/dip.md §11). The synthetic
// region has some 80 clinical pathways, each with a fixed procedure list, so a full year
// makes every combination a core group; a quarter leaves the rarer pathways below the
// 15-case threshold, as a real region's long tail would.
func demoDIP(ctx context.Context, e *env, st *sqlite.Store, dir string) error {
	ref, err := storedDIPCases(ctx, st, sqlite.Filter{InpatientOnly: true,
		From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	var fund2024 int64
	for _, c := range ref {
		fund2024 += int64(c.Cost - c.Paid)
	}
	budget := yibao.Fen(fund2024 * 103 / 100)
	db, cat := st.Dir(), filepath.Join(dir, "dip-2024.csv")
	fmt.Fprintln(e.stdout, "DIP reference: 2024-Q4 (with ~80 fixed synthetic pathways a full year makes every combination core; a quarter leaves a long tail for 综合病种)")
	for _, args := range [][]string{
		{"dip", "build", "--db", db, "--from", "2024-10", "--to", "2024-12", "--out", cat},
		{"dip", "assign", "--db", db, "--catalogue", cat},
		{"dip", "settle", "--db", db, "--catalogue", cat, "--period", "2025", "--budget", budget.String(), "--out", filepath.Join(dir, "dip-payments-2025.csv")},
	} {
		fmt.Fprintf(e.stdout, "$ yibao %s\n", strings.Join(args, " "))
		if code := run(ctx, &env{stdout: &headWriter{w: e.stdout, lines: 8}, stderr: e.stderr, getenv: e.getenv}, args); code != exitOK {
			return fmt.Errorf("demo step yibao %s failed (exit %d)", strings.Join(args[:2], " "), code)
		}
	}
	return nil
}
