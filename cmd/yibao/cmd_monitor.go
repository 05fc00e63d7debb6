package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/forecast"
	"github.com/yibao-dev/yibao/monitor"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runFund: the fund's books (基金收支).
//
//	yibao fund load --in fund.csv      load the bureau's fund ledger
//	yibao fund books                   monthly books, months of reserve and bands
//	yibao fund project --years 5       3–5-year projection under scenarios
func runFund(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{msg: "usage: yibao fund load|books|project [flags] (yibao fund load -h)"}
	}
	switch args[0] {
	case "load":
		return runFundLoad(ctx, e, args[1:])
	case "books":
		return runFundBooks(ctx, e, args[1:])
	case "project":
		return runFundProject(ctx, e, args[1:])
	}
	return usageError{msg: fmt.Sprintf("unknown fund subcommand %q (load, books, project)", args[0])}
}

func runFundLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "fund load", "fund load --in fund.csv [--db DIR] [--allow-rejects] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	in := fs.String("in", "", "fund ledger CSV: period,insutype,income,other_expenditure,opening_balance[,insured]")
	allow := fs.Bool("allow-rejects", false, "exit 0 even when rows were rejected")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
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
	rows, rejects, err := monitor.ReadLedger(f, *in)
	f.Close()
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.PutLedger(ctx, rows, *in); err != nil {
		return err
	}
	if *asJSON {
		if rejects == nil {
			rejects = []monitor.LedgerReject{}
		}
		if err := json.NewEncoder(e.stdout).Encode(map[string]any{"loaded": len(rows), "rejected": rejects}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "基金台账 fund ledger: %d rows loaded, %d rejected\n", len(rows), len(rejects))
		for _, r := range rejects {
			fmt.Fprintf(e.stderr, "  %s\n", r)
		}
	}
	if len(rejects) > 0 && !*allow {
		return exitError{code: exitRejected, msg: fmt.Sprintf("%d ledger rows rejected", len(rejects))}
	}
	return nil
}

func openBooks(ctx context.Context, e *env, db string) (*sqlite.Store, []monitor.BookMonth, error) {
	st, err := sqlite.Open(dataDir(e, db))
	if err != nil {
		return nil, nil, err
	}
	ledger, err := st.Ledger(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if len(ledger) == 0 {
		st.Close()
		return nil, nil, fmt.Errorf("no fund ledger in the store: load one with yibao fund load --in fund.csv")
	}
	spend, err := st.FundSpending(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	books, err := monitor.Books(ledger, spend, monitor.DefaultBands)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, books, nil
}

func runFundBooks(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "fund books", "fund books [--db DIR] [--insutype 310|390|all] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	insu := fs.String("insutype", "", "only this fund: 310, 390 or all (default every one)")
	asJSON := fs.Bool("json", false, "print the books as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, books, err := openBooks(ctx, e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	var out []monitor.BookMonth
	for _, b := range books {
		if *insu == "" || b.InsuType == *insu {
			out = append(out, b)
		}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"books": out})
	}
	fmt.Fprintf(e.stdout, "%-7s %-8s %14s %14s %14s %8s %-8s %8s %8s\n", "月份", "险种", "收入(元)", "支出(元)", "期末结存(元)", "可支付月数", "状态", "收入增速", "支出增速")
	for _, b := range out {
		fmt.Fprintf(e.stdout, "%-7s %-8s %14.2f %14.2f %14.2f %8.1f %-8s %8s %8s\n", b.Period, b.NameZh, float64(b.IncomeFen)/100,
			float64(b.ExpenditureFen)/100, float64(b.ClosingFen)/100, b.MonthsOfReserve, b.BandZh, pct(b.IncomeGrowth), pct(b.ExpenditureGrowth))
	}
	return nil
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", 100*v)
}

func runFundProject(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "fund project", "fund project [--db DIR] [--years 5] [--insutype all] [--scenario baseline|ageing|slow-income|custom] [--ageing R --contribution R --policy F] [--policy-from simulate.json] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	years := fs.Int("years", 5, "years to project (1–5)")
	insu := fs.String("insutype", monitor.AllTypes, "fund: 310, 390 or all")
	scen := fs.String("scenario", "", "one named scenario (default: every default scenario)")
	ageing := fs.Float64("ageing", 0, "custom scenario: extra yearly expenditure growth from ageing")
	contrib := fs.Float64("contribution", 0.04, "custom scenario: yearly income growth")
	policy := fs.Float64("policy", 1, "custom scenario: expenditure factor of a policy change")
	policyFrom := fs.String("policy-from", "", "a `yibao simulate --json` result: adds a scenario with its fund-outlay change as the policy factor")
	asJSON := fs.Bool("json", false, "print the projections as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	scenarios := monitor.DefaultScenarios()
	if *scen == "custom" {
		scenarios = []monitor.Scenario{{Name: "custom", NameZh: "自定义情景", Ageing: *ageing, ContributionGrowth: *contrib, PolicyFactor: *policy}}
	} else if *scen != "" {
		var keep []monitor.Scenario
		for _, s := range scenarios {
			if s.Name == *scen {
				keep = append(keep, s)
			}
		}
		if keep == nil {
			return usageError{msg: fmt.Sprintf("unknown scenario %q (baseline, ageing, slow-income, custom)", *scen)}
		}
		scenarios = keep
	}
	st, books, err := openBooks(ctx, e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if *policyFrom != "" {
		b, err := os.ReadFile(*policyFrom)
		if err != nil {
			return err
		}
		var sim struct {
			Scenario string
			Total    struct {
				Baseline *int64 `json:"baseline_fund_outlay_fen"`
				Scenario *int64 `json:"scenario_fund_outlay_fen"`
			}
		}
		if err := json.Unmarshal(b, &sim); err != nil || sim.Total.Baseline == nil || sim.Total.Scenario == nil {
			return fmt.Errorf("%s: not a yibao simulate --json result (total.baseline_fund_outlay_fen, total.scenario_fund_outlay_fen)", *policyFrom)
		}
		f, err := monitor.PolicyFactor(books, *insu, *sim.Total.Baseline, *sim.Total.Scenario)
		if err != nil {
			return err
		}
		scenarios = append(scenarios, monitor.Scenario{Name: "policy", NameZh: "政策情景：" + sim.Scenario, ContributionGrowth: 0.04, PolicyFactor: f})
	}
	var out []*monitor.Projection
	for _, sc := range scenarios {
		p, err := monitor.Project(ctx, books, *insu, *years, sc, monitor.DefaultBands)
		if err != nil {
			return err
		}
		out = append(out, p)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"projections": out})
	}
	for _, p := range out {
		fmt.Fprintf(e.stdout, "%s (%s) · %s · 支出模型 %s · 回测 MASE %.3f\n", p.Scenario.NameZh, p.Scenario.Name, monitor.InsuTypeZh[p.InsuType], p.Model, p.Backtest.MASE)
		for i, m := range p.Months {
			if (i+1)%12 == 0 {
				fmt.Fprintf(e.stdout, "  %s  期末结存 %14.2f 元  可支付月数 %6.1f  %s\n", m.Period, float64(m.ClosingFen)/100, m.MonthsOfReserve, m.Band)
			}
		}
		if p.ExhaustedIn != "" {
			fmt.Fprintf(e.stdout, "  基金将于 %s 出现赤字 (fund exhausted)\n", p.ExhaustedIn)
		}
	}
	return nil
}

// runMonitor: forecasts from the store and alert evaluation.
//
//	yibao monitor forecast --by drg --measure cost_per_case --horizon 6
//	yibao monitor run [--rules rules.json] [--webhook URL]
func runMonitor(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{msg: "usage: yibao monitor forecast|run [flags]"}
	}
	switch args[0] {
	case "forecast":
		return runMonitorForecast(ctx, e, args[1:])
	case "run":
		return runMonitorRun(ctx, e, args[1:])
	}
	return usageError{msg: fmt.Sprintf("unknown monitor subcommand %q (forecast, run)", args[0])}
}

func runMonitorForecast(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "monitor forecast", "monitor forecast [--db DIR] --by total|insutype|category|hospital|drg --measure fund|admissions|cost_per_case [--horizon 6] [--scheme ID] [--min-months 24] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	by := fs.String("by", "total", "total, insutype, category, hospital or drg")
	measure := fs.String("measure", "fund", "fund (pooled-fund spending), admissions or cost_per_case")
	horizon := fs.Int("horizon", 6, "months ahead")
	scheme := fs.String("scheme", demoSchemeID, "DRG scheme for --by drg: a scheme file, \"demo\", or a stored scheme id")
	minMonths := fs.Int("min-months", 24, "skip series shorter than this")
	asJSON := fs.Bool("json", false, "print every forecast as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *horizon < 1 || *horizon > forecast.MaxHorizon {
		return usageError{msg: fmt.Sprintf("--horizon must be 1–%d", forecast.MaxHorizon)}
	}
	id, err := schemeIDOf(e, *scheme)
	if err != nil {
		return err
	}
	*scheme = id
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	all, err := st.MonthlySeries(ctx, *by, *measure, *scheme)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	var keys []string
	for k, s := range all {
		if len(s.Values) >= *minMonths {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	series := make([]forecast.Series, len(keys))
	for i, k := range keys {
		series[i] = all[k]
	}
	prog := newProgress(e.stderr, "forecast: series", *asJSON)
	start := time.Now()
	res, err := forecast.RunMany(ctx, series, forecast.Request{Horizon: *horizon}, 0, func(done, total int) {
		prog.update(done, float64(done)/float64(total), time.Since(start))
	})
	prog.done()
	if err != nil {
		return err
	}
	type item struct {
		Key    string           `json:"key"`
		Result *forecast.Result `json:"result,omitempty"`
		Error  string           `json:"error,omitempty"`
	}
	var items []item
	for i, r := range res {
		it := item{Key: keys[i], Result: r.Result}
		if r.Err != nil {
			it.Error = r.Err.Error()
		}
		items = append(items, it)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"by": *by, "measure": *measure, "horizon": *horizon, "series": items,
			"skipped_short": len(all) - len(keys), "seconds": time.Since(start).Seconds()})
	}
	fmt.Fprintf(e.stdout, "%d series forecast (%d shorter than %d months skipped) in %.1fs\n", len(keys), len(all)-len(keys), *minMonths, time.Since(start).Seconds())
	for _, it := range items {
		if it.Error != "" {
			fmt.Fprintf(e.stdout, "  %-16s error: %s\n", it.Key, it.Error)
			continue
		}
		r := it.Result
		fmt.Fprintf(e.stdout, "  %-16s %-40s next %s %.2f [%.2f, %.2f]  backtest MASE %.3f (naive %.3f)\n", it.Key, r.Model, r.Periods[0],
			r.Forecast.Mean[0], r.Forecast.Lo95[0], r.Forecast.Hi95[0], r.Backtest.MASE, r.Backtest.NaiveMASE)
	}
	return nil
}

// monitorInputs gathers what the alert rules look at from the store.
func monitorInputs(ctx context.Context, st *sqlite.Store, scheme, asOf string) (monitor.Inputs, error) {
	if asOf == "" {
		// Evaluate the last complete month, not a trailing month of late discharges.
		m, err := st.LastCompleteMonth(ctx)
		if err != nil {
			return monitor.Inputs{}, err
		}
		if m != (forecast.Month{}) {
			asOf = m.String()
		}
	}
	in := monitor.Inputs{AsOf: asOf}
	ledger, err := st.Ledger(ctx)
	if err != nil {
		return in, err
	}
	if len(ledger) > 0 {
		spend, err := st.FundSpending(ctx)
		if err != nil {
			return in, err
		}
		if in.Books, err = monitor.Books(ledger, spend, monitor.DefaultBands); err != nil {
			return in, err
		}
	}
	if in.DRGCases, err = st.DRGCaseCosts(ctx, scheme); err != nil {
		return in, err
	}
	if in.HospitalSpend, err = st.MonthlySeries(ctx, "hospital", "fund", ""); err != nil {
		return in, err
	}
	if in.Findings, err = st.FindingsByMonth(ctx); err != nil {
		return in, err
	}
	return in, nil
}

func runMonitorRun(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "monitor run", "monitor run [--db DIR] [--rules rules.json] [--scheme ID] [--as-of YYYY-MM] [--webhook URL] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	rulesPath := fs.String("rules", "", "alert rules JSON (default: the built-in rules; yibao alerts rules prints them)")
	scheme := fs.String("scheme", demoSchemeID, "DRG scheme of the per-DRG rule: a scheme file, \"demo\", or a stored scheme id")
	asOf := fs.String("as-of", "", "evaluate as of this month (default: the last complete month of settlements)")
	hook := fs.String("webhook", "", "deliver new (and earlier undelivered) alerts to this URL")
	secretEnv := fs.String("webhook-secret-env", "YIBAO_WEBHOOK_SECRET", "environment variable holding the webhook's HMAC secret")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *asOf != "" {
		if _, err := forecast.ParseMonth(*asOf); err != nil {
			return usageError{msg: "--as-of: " + err.Error()}
		}
	}
	id, err := schemeIDOf(e, *scheme)
	if err != nil {
		return err
	}
	*scheme = id
	rules := monitor.DefaultRules()
	if *rulesPath != "" {
		b, err := os.ReadFile(*rulesPath)
		if err != nil {
			return err
		}
		rules = nil
		if err := json.Unmarshal(b, &rules); err != nil {
			return fmt.Errorf("%s: %w", *rulesPath, err)
		}
		for _, r := range rules {
			if err := r.Validate(); err != nil {
				return fmt.Errorf("%s: %w", *rulesPath, err)
			}
		}
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	in, err := monitorInputs(ctx, st, *scheme, *asOf)
	if err != nil {
		return err
	}
	alerts, err := monitor.Evaluate(ctx, rules, in)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	added, err := st.SaveAlerts(ctx, alerts, now)
	if err != nil {
		return err
	}
	delivered := 0
	if *hook != "" {
		pending, err := st.Alerts(ctx, sqlite.AlertFilter{Undelivered: true})
		if err != nil {
			return err
		}
		w := monitor.Webhook{URL: *hook, Secret: e.getenv(*secretEnv)}
		if err := w.Deliver(ctx, pending, now); err != nil {
			return fmt.Errorf("%d alerts stored; delivery failed (will be retried on the next run): %w", len(added), err)
		}
		var keys []string
		for _, a := range pending {
			keys = append(keys, a.Key)
		}
		if err := st.MarkDelivered(ctx, keys, now); err != nil {
			return err
		}
		delivered = len(keys)
	}
	if *asJSON {
		if added == nil {
			added = []monitor.Alert{}
		}
		return json.NewEncoder(e.stdout).Encode(map[string]any{"evaluated": len(alerts), "new": added, "delivered": delivered})
	}
	fmt.Fprintf(e.stdout, "预警 alerts: %d firing, %d new, %d delivered\n", len(alerts), len(added), delivered)
	for _, a := range added {
		fmt.Fprintf(e.stdout, "  [%s] %s\n", a.Severity, a.MessageZh)
	}
	return nil
}

// runAlerts: the alert inbox.
//
//	yibao alerts list [--hospital H] [--state new]
//	yibao alerts ack|resolve KEY --by NAME [--note TEXT]
//	yibao alerts rules
func runAlerts(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError{msg: "usage: yibao alerts list|ack|resolve|rules [flags]"}
	}
	sub := args[0]
	switch sub {
	case "rules":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(monitor.DefaultRules())
	case "list":
		fs := newFlags(e, "alerts list", "alerts list [--db DIR] [--hospital H] [--state new|acknowledged|resolved] [--json]")
		db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
		hosp := fs.String("hospital", "", "only this hospital's inbox")
		state := fs.String("state", "", "only alerts in this state")
		asJSON := fs.Bool("json", false, "print as JSON")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		st, err := sqlite.Open(dataDir(e, *db))
		if err != nil {
			return err
		}
		defer st.Close()
		as, err := st.Alerts(ctx, sqlite.AlertFilter{Hospital: *hosp, State: *state, Limit: 1000})
		if err != nil {
			return err
		}
		if *asJSON {
			if as == nil {
				as = []monitor.Alert{}
			}
			return json.NewEncoder(e.stdout).Encode(map[string]any{"alerts": as})
		}
		for _, a := range as {
			fmt.Fprintf(e.stdout, "%-13s %-7s %s\n    %s\n", a.State, a.Severity, a.Key, a.MessageZh)
		}
		return nil
	case "ack", "resolve":
		to := monitor.StateAcknowledged
		if sub == "resolve" {
			to = monitor.StateResolved
		}
		fs := newFlags(e, "alerts "+sub, "alerts "+sub+" KEY --by NAME [--note TEXT] [--hospital H] [--db DIR]")
		db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
		by := fs.String("by", "", "who (required)")
		note := fs.String("note", "", "why, what was done")
		hosp := fs.String("hospital", "", "act as this hospital (may only change its own alerts)")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 || *by == "" {
			return usageError{msg: "one alert KEY and --by are required"}
		}
		st, err := sqlite.Open(dataDir(e, *db))
		if err != nil {
			return err
		}
		defer st.Close()
		a, err := st.TransitionAlert(ctx, fs.Arg(0), *hosp, to, *by, *note, time.Now().UTC())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s → %s\n", a.Key, a.State)
		return st.LogAction(ctx, *by, "alert."+sub, a.Key)
	}
	return usageError{msg: fmt.Sprintf("unknown alerts subcommand %q (list, ack, resolve, rules)", sub)}
}
