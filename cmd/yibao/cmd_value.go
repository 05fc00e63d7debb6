package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/value"
)

// runValue is value-based payment for chronic care (价值医疗): measures, settlement, care gaps.
func runValue(ctx context.Context, e *env, args []string) error {
	usage := "value measures|settle|gaps|definitions --db DIR --period YYYY [...]"
	if len(args) == 0 {
		return usageError{msg: "usage: yibao " + usage}
	}
	switch args[0] {
	case "measures":
		return runValueMeasures(ctx, e, args[1:])
	case "settle":
		return runValueSettle(ctx, e, args[1:])
	case "gaps":
		return runValueGaps(ctx, e, args[1:])
	case "definitions":
		return json.NewEncoder(e.stdout).Encode(value.DefaultDefinitions())
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, "Usage: yibao "+usage)
		fmt.Fprintln(e.stdout, "  measures     quality measures per institution (numerator, denominator, rate)")
		fmt.Fprintln(e.stdout, "  settle       capitation with withhold, withhold returned, pay-for-outcome, shared savings; stored with the care gaps")
		fmt.Fprintln(e.stdout, "  gaps         care gaps of the latest settlement: who has not been tested, who is uncontrolled (CSV)")
		fmt.Fprintln(e.stdout, "  definitions  the condition registry and measure definitions (JSON)")
		return nil
	}
	return usageError{msg: fmt.Sprintf("unknown value command %q; usage: yibao %s", args[0], usage)}
}

// valueInput is what every value command reads: the store, the period, the definitions
// and the contracted persons.
type valueInput struct {
	st      *sqlite.Store
	per     value.Period
	defs    *value.Definitions
	persons []*value.Person
	names   map[string]string
}

func loadValue(ctx context.Context, e *env, db, period, defsPath string) (*valueInput, error) {
	if period == "" {
		return nil, usageError{msg: "--period YYYY is required"}
	}
	per, err := value.ParsePeriod(period)
	if err != nil {
		return nil, usageError{msg: err.Error()}
	}
	defs := value.DefaultDefinitions()
	if defsPath != "" {
		if defs, err = value.LoadDefinitions(defsPath); err != nil {
			return nil, err
		}
	}
	st, err := sqlite.Open(dataDir(e, db))
	if err != nil {
		return nil, err
	}
	persons, err := value.Load(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	if len(persons) == 0 {
		st.Close()
		return nil, fmt.Errorf("no family-doctor contracts in the store: ingest a contracts CSV (psn_no,institution,team,start,end) first")
	}
	names := map[string]string{}
	if hs, err := st.Hospitals(ctx); err == nil {
		for _, h := range hs {
			names[h.Code] = h.Name
		}
	}
	return &valueInput{st: st, per: per, defs: defs, persons: persons, names: names}, nil
}

func runValueMeasures(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "value measures", "value measures --db DIR --period YYYY [--definitions FILE] [--teams] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	period := fs.String("period", "", "measurement year, YYYY")
	defsPath := fs.String("definitions", "", "condition registry and measures (default: built in)")
	teams := fs.Bool("teams", false, "also per family-doctor team")
	asJSON := fs.Bool("json", false, "print JSON: [{institution, measure, numerator, denominator, rate}]")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	in, err := loadValue(ctx, e, *db, *period, *defsPath)
	if err != nil {
		return err
	}
	defer in.st.Close()
	rep, err := in.defs.Compute(ctx, in.persons, in.per)
	if err != nil {
		return err
	}
	rows := rep.Institutions
	if *teams {
		rows = append(rows, rep.Teams...)
	}
	if *asJSON {
		if rows == nil {
			rows = []value.Result{}
		}
		return json.NewEncoder(e.stdout).Encode(rows)
	}
	fmt.Fprintf(e.stdout, "质量指标 / quality measures, %s (definitions %s)\n", in.per.Name, in.defs.Version)
	last := ""
	for _, r := range rows {
		who := r.Institution
		if r.Team != "" {
			who += " " + r.Team
		}
		if who != last {
			fmt.Fprintf(e.stdout, "\n%s %s\n", who, in.names[r.Institution])
			last = who
		}
		m, _ := in.defs.Measure(r.Measure)
		fmt.Fprintf(e.stdout, "  %-36s %6d / %-6d %s\n", m.Name, r.Numerator, r.Denominator, fmtMeasureRate(m, r.Rate))
	}
	return nil
}

func fmtMeasureRate(m *value.Measure, rate *float64) string {
	switch {
	case rate == nil:
		return "无数据"
	case m.Kind == value.KindAdmissionsPer1000:
		return fmt.Sprintf("%.1f‰", *rate)
	default:
		return fmt.Sprintf("%.1f%%", *rate*100)
	}
}

func runValueSettle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "value settle", "value settle --db DIR --period YYYY [--policy FILE] [--definitions FILE] [--persons FILE] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	period := fs.String("period", "", "settlement year, YYYY")
	policyPath := fs.String("policy", "", "value-based payment policy (default: built in, docs/value.md)")
	defsPath := fs.String("definitions", "", "condition registry and measures (default: built in)")
	personsOut := fs.String("persons", "", "write the per-person lines (capitation, expected and actual spending) to this CSV")
	asJSON := fs.Bool("json", false, "print JSON, amounts in yuan")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	in, err := loadValue(ctx, e, *db, *period, *defsPath)
	if err != nil {
		return err
	}
	defer in.st.Close()
	pol := value.DefaultPolicy()
	if *policyPath != "" {
		if pol, err = value.LoadPolicy(*policyPath, in.defs); err != nil {
			return err
		}
	}
	rep, err := in.defs.Compute(ctx, in.persons, in.per)
	if err != nil {
		return err
	}
	set, err := pol.Settle(ctx, in.defs, in.persons, in.per, rep)
	if err != nil {
		return err
	}
	gaps := rep.Gaps()
	stored := make([]sqlite.ValueGap, len(gaps))
	for i, g := range gaps {
		d := ""
		if !g.Date.IsZero() {
			d = g.Date.Format(time.DateOnly)
		}
		stored[i] = sqlite.ValueGap{Institution: g.Institution, Team: g.Team, Measure: g.Measure, Person: g.Person,
			Status: g.Status, Count: g.Count, Day: d, Value: g.Value, SetlID: g.SetlID}
	}
	run, err := in.st.PutValueRun(ctx, in.per.Name, in.defs.Version, pol.Version,
		map[string]any{"institutions": rep.Institutions, "teams": rep.Teams}, set, stored)
	if err != nil {
		return fmt.Errorf("store value run: %w", err)
	}
	if *personsOut != "" {
		if err := writePersonLines(*personsOut, set.Persons); err != nil {
			return err
		}
	}
	if *asJSON {
		views := make([]value.YuanView, len(set.Institutions))
		for i, s := range set.Institutions {
			views[i] = s.Yuan()
		}
		return json.NewEncoder(e.stdout).Encode(map[string]any{
			"run": run, "period": set.Period, "policy": set.Policy, "baseline": set.Baseline, "institutions": views})
	}
	fmt.Fprintf(e.stdout, "价值医疗结算 / value-based settlement %s, policy %s, baseline %s (run %d, %d care gaps stored)\n\n",
		set.Period, set.Policy, set.Baseline, run, len(gaps))
	// The name goes last and whole: cut to a column width, "玄武区社区卫生服务中心（5）" and
	// "（6）" both read "玄武区社区卫生" and a person could not tell them apart.
	fmt.Fprintf(e.stdout, "%-14s %6s %12s %11s %6s %11s %11s %13s %13s %11s %13s  %s\n", "机构", "签约人", "按人头", "预留", "质量", "返还", "结果付费", "预期费用", "实际费用", "结余分享", "合计(元)", "名称")
	var total yibao.Fen
	for _, s := range set.Institutions {
		q := "—"
		if s.QualityScore != nil {
			q = strconv.FormatFloat(*s.QualityScore*100, 'f', 1, 64)
		}
		fmt.Fprintf(e.stdout, "%-14s %6d %12s %11s %6s %11s %11s %13s %13s %11s %13s  %s\n", s.Institution,
			s.Persons, s.Capitation, s.Withheld, q, s.WithholdReturned, s.OutcomePayment, s.Expected, s.Actual, s.SharedSavings, s.Total, in.names[s.Institution])
		total += s.Total
	}
	fmt.Fprintf(e.stdout, "\n合计 / total %s 元 to %d institutions\n", total, len(set.Institutions))
	return nil
}

func writePersonLines(path string, lines []value.PersonLine) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"person", "institution", "team", "days", "age", "conditions", "risk_factor", "capitation", "expected_spending", "actual_spending"})
	for _, l := range lines {
		w.Write([]string{l.Person, l.Institution, l.Team, strconv.Itoa(l.Days), strconv.Itoa(l.Age), strconv.Itoa(l.Conditions),
			strconv.FormatFloat(l.RiskFactor, 'f', 2, 64), l.Capitation.String(), l.Expected.String(), l.Actual.String()})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func runValueGaps(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "value gaps", "value gaps --db DIR [--period YYYY] [--institution CODE] [--measure ID] [--out FILE]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	period := fs.String("period", "", "year of the settlement run (default: the latest run)")
	inst := fs.String("institution", "", "only this institution")
	measure := fs.String("measure", "", "only this measure")
	out := fs.String("out", "", "write CSV here (default: standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	run, ok, err := st.LatestValueRun(ctx, *period)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no value settlement run%s: run `yibao value settle` first", map[bool]string{true: " for " + *period, false: ""}[*period != ""])
	}
	gaps, _, err := st.ValueGaps(ctx, run.ID, *inst, *measure, 0, 1<<30)
	if err != nil {
		return err
	}
	w := csv.NewWriter(e.stdout)
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = csv.NewWriter(f)
	}
	defs := value.DefaultDefinitions()
	w.Write([]string{"institution", "team", "measure", "measure_name", "person", "status", "status_name", "count", "date", "value", "setl_id"})
	for _, g := range gaps {
		name := g.Measure
		if m, ok := defs.Measure(g.Measure); ok {
			name = m.Name
		}
		w.Write([]string{g.Institution, g.Team, g.Measure, name, g.Person, g.Status, value.StatusName(g.Status),
			strconv.Itoa(g.Count), g.Day, g.Value, g.SetlID})
	}
	w.Flush()
	return w.Error()
}
