package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// newFlags returns a FlagSet that reports errors through usageError.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: yibao %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags accepts flags before, between and after positional arguments (yibao ingest
// a.json --allow-rejects), which the flag package alone does not; "--" ends flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return usageError{}
			}
			return usageError{msg: err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "ingest", "ingest [--db DIR] [--rejects FILE] [--allow-rejects] [--json] PATH...")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	rejects := fs.String("rejects", "", "write rejected records as NDJSON to FILE (default DIR/rejects.ndjson)")
	allow := fs.Bool("allow-rejects", false, "exit 0 even when records were rejected")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	workers := fs.Int("workers", 0, "parsing workers (default: number of CPUs)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{msg: "no PATH given"}
	}
	dir := dataDir(e, *db)
	sum, st, err := ingestPaths(ctx, e, dir, *rejects, *workers, *asJSON, fs.Args())
	if err != nil {
		return err
	}
	defer st.Close()
	return reportIngest(ctx, e, st, sum, *rejects, *asJSON, *allow)
}

// ingestPaths opens the store and runs ingest with progress; the caller closes the store.
func ingestPaths(ctx context.Context, e *env, dir, rejectsPath string, workers int, quiet bool, paths []string) (ingest.Summary, *sqlite.Store, error) {
	st, err := sqlite.Open(dir)
	if err != nil {
		return ingest.Summary{}, nil, err
	}
	key, err := ingest.LoadOrCreateKey(dir)
	if err != nil {
		st.Close()
		return ingest.Summary{}, nil, err
	}
	ps, err := ingest.NewPseudonymiser(key)
	if err != nil {
		st.Close()
		return ingest.Summary{}, nil, err
	}
	if rejectsPath == "" {
		rejectsPath = dir + "/rejects.ndjson"
	}
	rf, err := os.Create(rejectsPath)
	if err != nil {
		st.Close()
		return ingest.Summary{}, nil, fmt.Errorf("rejects file: %w", err)
	}
	defer rf.Close()
	// Ingest allocates a steady stream of short-lived documents; a lazier collector buys
	// about 7% throughput for some 150 MB more memory (docs/benchmarks.md).
	defer debug.SetGCPercent(debug.SetGCPercent(200))
	prog := newProgress(e.stderr, "ingest: records", quiet)
	sum, err := ingest.Run(ctx, st, paths, ingest.Options{
		Pseudonymiser: ps, Rejects: rf, Workers: workers, Operator: operator(e),
		Progress: func(p ingest.Progress) {
			frac := 0.0
			if p.BytesTotal > 0 {
				frac = float64(p.BytesDone) / float64(p.BytesTotal)
			}
			prog.update(p.Read, frac, p.Elapsed)
		},
	})
	prog.done()
	if err != nil {
		st.Close()
		return sum, nil, err
	}
	return sum, st, nil
}

func reportIngest(ctx context.Context, e *env, st *sqlite.Store, sum ingest.Summary, rejectsPath string, asJSON, allow bool) error {
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return err
	}
	var unregistered []string
	for _, h := range hs {
		if !h.Registered {
			unregistered = append(unregistered, h.Code)
		}
	}
	if rejectsPath == "" {
		rejectsPath = st.Dir() + "/rejects.ndjson"
	}
	if asJSON {
		out := struct {
			ingest.Summary
			Unregistered []string `json:"unregistered_hospitals"`
			RejectsFile  string   `json:"rejects_file"`
		}{sum, unregistered, rejectsPath}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "read %d  loaded %d  new versions %d  duplicate %d  rejected %d  (hospitals %d, rejected %d)\n",
			sum.Read, sum.Loaded, sum.NewVersions, sum.Duplicates, sum.Rejected, sum.Hospitals, sum.HospitalsRejected)
		if len(unregistered) > 0 {
			fmt.Fprintf(e.stdout, "warning: %d hospitals not in the registry (未备案机构): %s\n", len(unregistered), abbreviate(unregistered, 10))
		}
		if sum.Rejected+sum.HospitalsRejected > 0 {
			fmt.Fprintf(e.stdout, "rejected records and their reasons: %s\n", rejectsPath)
		}
	}
	if sum.Rejected+sum.HospitalsRejected > 0 && !allow {
		return exitError{code: exitRejected, msg: fmt.Sprintf("%d records rejected (see %s; --allow-rejects to exit 0)", sum.Rejected+sum.HospitalsRejected, rejectsPath)}
	}
	return nil
}

func abbreviate(xs []string, n int) string {
	if len(xs) <= n {
		return fmt.Sprint(xs)
	}
	return fmt.Sprintf("%v … (+%d)", xs[:n], len(xs)-n)
}

func runStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "status", "status [--db DIR] [--json]")
	db := fs.String("db", "", "data directory")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := st.Counts(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(c)
	}
	fmt.Fprintf(e.stdout, "settlements %d (inpatient %d, versions %d)  fee lines %d  persons %d  hospitals %d (unregistered %d)\n",
		c.Settlements, c.Inpatient, c.Versions, c.FeeLines, c.Persons, c.Hospitals, c.Unregistered)
	return nil
}

var _ io.Writer = (*os.File)(nil)

// operator names who ran a command, for lineage: $YIBAO_OPERATOR, else the login name.
func operator(e *env) string {
	for _, k := range []string{"YIBAO_OPERATOR", "USER", "LOGNAME"} {
		if v := strings.TrimSpace(e.getenv(k)); v != "" {
			return v
		}
	}
	return "unknown"
}
