// Command yibao runs the medical-insurance fund pipeline: synthesise or ingest settlements,
// group them, and report. Each subcommand lives in its own file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailure  = 1 // the command failed
	exitUsage    = 2 // bad flags or arguments
	exitRejected = 3 // ran, but records were rejected
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch: no globals.
type env struct {
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// usageError makes main exit with exitUsage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError carries a specific exit status with its message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func commands() []command {
	return []command{
		{"demo", "build a synthetic region and run the whole pipeline on it", runDemo},
		{"synth", "write a deterministic synthetic region (hospitals, settlements, labels, knowledge base)", runSynth},
		{"ingest", "validate, pseudonymise and store settlement documents and the hospital registry", runIngest},
		{"group", "group cases into DRGs with a scheme file (CSV in/out, or the settlements in the store)", runGroup},
		{"scheme", "show a DRG scheme, or diff two versions (groups added, removed, changed)", runScheme},
		{"dip", "DIP (按病种分值付费): build a catalogue, pay cases by points, assign and settle stored stays", runDIP},
		{"weights", "derive relative weights (RW) from a reference period and write them as a versioned table", runWeights},
		{"cmi", "case-mix index by hospital, department, doctor or month", runCMI},
		{"settle", "DRG point method: price a period's cases by the policy, point value, deductions, special review, prepayment and clearing", runSettle},
		{"price", "same as settle: pricing is always stored with the settlement it leads to", runSettle},
		{"pay", "DRG payment from files: weights.csv and cases.csv to payments.csv and hospitals.csv (the calculation contract)", runPay},
		{"review", "special review (特例单议): list the queue, decide a case (who, when, why)", runReview},
		{"simulate", "re-run pricing and settlement under a scenario and report the fund impact, storing nothing", runSimulate},
		{"audit", "smart audit (智能审核): knowledge base, rules and detectors over files or the store", runAudit},
		{"evaluate", "performance evaluation: TOPSIS and AHP on files, or the indicator system on the store", runEvaluate},
		{"appeal", "appeals (申诉与复核) against adjustments and findings: file, decide, list", runAppeal},
		{"findings", "review audit findings (复核): list, confirm, dismiss with who and why", runFindings},
		{"serve", "serve the online audit interfaces 3101/3102/3103 (and the cockpit)", runServe},
		{"status", "show what the store holds", runStatus},
		{"forecast", "forecast a monthly series (ARIMA/ETS, intervals, backtest): --in series.csv --horizon H --out forecast.csv", runForecast},
		{"fund", "the fund's books (基金收支): load the ledger, books and months of reserve, 3–5-year projection", runFund},
		{"monitor", "forecasts from the store (expenditure, admissions, per-case cost) and alert evaluation", runMonitor},
		{"alerts", "the alert inbox (预警): list, ack, resolve, rules", runAlerts},
		{"user", "cockpit accounts: add, passwd, list, disable, enable, delete, role, unlock", runUser},
		{"his", "HIS credentials for the online audit (3101/3102/3103): add, rotate, revoke, list, calls", runHIS},
		{"verify", "check the tamper-evident ledger (防篡改留痕): every checkpoint and every row", runVerify},
		{"proof", "inclusion proof of a settlement, finding, run or appeal; consistency proof between checkpoints; check a proof", runProof},
		{"ledger", "the ledger's public key, checkpoints, an object's history, a settlement's lineage (血缘)", runLedger},
		{"value", "value-based chronic care (价值医疗): quality measures, care gaps, capitation with withhold, shared savings", runValue},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	// YIBAO_CPUPROFILE=FILE profiles any command, for the numbers in docs/benchmarks.md.
	if path := os.Getenv("YIBAO_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				code := run(ctx, e, os.Args[1:])
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		return exitOK
	}
	name := args[0]
	if name == "help" {
		if len(args) > 1 {
			return run(ctx, e, []string{args[1], "-h"})
		}
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		if len(args) == 2 && wantsHelp(args[1:]) {
			// `yibao CMD --help`: the usage is the answer, on standard output, exit 0 — also
			// for command groups (dip, appeal, user…) that print their usage on a bad call.
			he := *e
			he.stderr = e.stdout
			err := c.run(ctx, &he, args[1:])
			var ue usageError
			if errors.As(err, &ue) && ue.msg != "" {
				fmt.Fprintln(e.stdout, "Usage: "+strings.TrimPrefix(ue.msg, "usage: "))
			}
			if err == nil || errors.As(err, new(helpRequested)) || errors.As(err, &ue) {
				return exitOK
			}
			return exitUsage
		}
		err := c.run(ctx, e, args[1:])
		var ue usageError
		var ee exitError
		switch {
		case err == nil, errors.As(err, new(helpRequested)):
			return exitOK
		case errors.As(err, &ue):
			if ue.msg != "" {
				fmt.Fprintf(e.stderr, "yibao %s: %s\n", name, ue.msg)
			}
			return exitUsage
		case errors.As(err, &ee):
			fmt.Fprintf(e.stderr, "yibao %s: %s\n", name, ee.msg)
			return ee.code
		default:
			fmt.Fprintf(e.stderr, "yibao %s: %v\n", name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(e.stderr, "yibao: unknown command %q (see yibao help)\n", name)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "yibao — medical-insurance fund platform (医保基金运行平台)")
	fmt.Fprintln(w, "\nUsage: yibao <command> [flags]   (yibao help <command> for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nData directory: --db DIR, else $YIBAO_DB, else ./yibao-data.")
	fmt.Fprintln(w, "Exit status: 0 ok, 1 failure, 2 usage, 3 records rejected.")
}

// dataDir resolves the data directory from the flag, the environment, or the default.
func dataDir(e *env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := strings.TrimSpace(e.getenv("YIBAO_DB")); v != "" {
		return v
	}
	return "yibao-data"
}
