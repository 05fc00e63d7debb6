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

// newFlags returns a FlagSet that reports errors through usageError. Its usage goes to
// standard error after a mistake and to standard output when asked for (--help).
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(flagOutput{stdout: e.stdout, stderr: e.stderr})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: yibao %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// flagOutput writes to standard error; parseFlags switches a FlagSet to standard output
// when help was asked for.
type flagOutput struct{ stdout, stderr io.Writer }

func (o flagOutput) Write(p []byte) (int, error) { return o.stderr.Write(p) }

// helpRequested makes run exit 0 after --help printed the usage.
type helpRequested struct{}

func (helpRequested) Error() string { return "help requested" }

func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help", "--h":
			return true
		}
	}
	return false
}

// parseFlags accepts flags before, between and after positional arguments (yibao ingest
// a.json --allow-rejects), which the flag package alone does not; "--" ends flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if o, ok := fs.Output().(flagOutput); ok && wantsHelp(args) {
		fs.SetOutput(o.stdout)
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return helpRequested{}
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
	// The rejects file holds masked records and hashes of unparseable ones: still the
	// owner's only (0600).
	rf, err := os.OpenFile(rejectsPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err == nil {
		err = rf.Chmod(0o600)
	}
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
		if sum.Refused > 0 {
			fmt.Fprintf(e.stdout, "refused %d versions (another institution's setl_id, or older than the current version; 未作为当前版本): %s\n", sum.Refused, rejectsPath)
		}
		if len(unregistered) > 0 {
			fmt.Fprintf(e.stdout, "warning: %d hospitals not in the registry (未备案机构): %s\n", len(unregistered), abbreviate(unregistered, 10))
		}
		if sum.Rejected+sum.HospitalsRejected > 0 {
			fmt.Fprintf(e.stdout, "rejected records and their reasons: %s\n", rejectsPath)
		}
	}
	if sum.Rejected+sum.HospitalsRejected+sum.Refused > 0 && !allow {
		return exitError{code: exitRejected, msg: fmt.Sprintf("%d records rejected (see %s; --allow-rejects to exit 0)", sum.Rejected+sum.HospitalsRejected+sum.Refused, rejectsPath)}
	}
	return nil
}

func abbreviate(xs []string, n int) string {
	if len(xs) <= n {
		return fmt.Sprint(xs)
	}
	return fmt.Sprintf("%v … (+%d)", xs[:n], len(xs)-n)
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
