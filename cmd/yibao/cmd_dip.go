package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/store/sqlite"
)

func runDIP(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "build":
			return runDIPBuild(ctx, e, args[1:])
		case "assign":
			return runDIPAssign(ctx, e, args[1:])
		case "settle":
			return runDIPSettle(ctx, e, args[1:])
		}
	}
	fmt.Fprintln(e.stderr, "Usage: yibao dip build --db DIR [--from YYYY-MM --to YYYY-MM] [--min-cases 15] --out catalogue.json\n"+
		"       yibao dip assign --db DIR --catalogue catalogue.json [--json]\n"+
		"       yibao dip settle --db DIR --catalogue catalogue.json --period YYYY [--params FILE] [--json]")
	return usageError{}
}

// parsePeriod turns YYYY-MM bounds into [from, to) with to the first day after the month.
func parsePeriod(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.Parse("2006-01", from); err != nil {
			return f, t, usageError{msg: fmt.Sprintf("--from %q is not YYYY-MM", from)}
		}
	}
	if to != "" {
		if t, err = time.Parse("2006-01", to); err != nil {
			return f, t, usageError{msg: fmt.Sprintf("--to %q is not YYYY-MM", to)}
		}
		t = t.AddDate(0, 1, 0)
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return f, t, usageError{msg: "--from must not be after --to"}
	}
	return f, t, nil
}

func dipCases(ctx context.Context, st *sqlite.Store, f sqlite.Filter) ([]grouper.DIPCase, []int64, error) {
	var cases []grouper.DIPCase
	var rows []int64
	err := st.EachCurrent(ctx, f, func(s sqlite.StoredSettlement) error {
		c := grouper.DIPCase{ID: s.ID, Principal: s.PrincipalDiagnosis(), Cost: s.Pay.Total}
		for _, p := range s.Procedures {
			c.Procedures = append(c.Procedures, p.Code)
		}
		cases = append(cases, c)
		rows = append(rows, s.Row)
		return nil
	})
	return cases, rows, err
}

func runDIPBuild(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dip build", "dip build --db DIR [--from YYYY-MM --to YYYY-MM] [--min-cases 15] [--version V] --out catalogue.json")
	db := fs.String("db", "", "data directory")
	from := fs.String("from", "", "first month of the reference period (YYYY-MM)")
	to := fs.String("to", "", "last month of the reference period (YYYY-MM)")
	minCases := fs.Int("min-cases", 15, "cases a diagnosis × procedure combination needs to be a core group")
	version := fs.String("version", "", "catalogue version (default: the period)")
	out := fs.String("out", "", "catalogue file to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{msg: "--out is required"}
	}
	f, t, err := parsePeriod(*from, *to)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	cases, _, err := dipCases(ctx, st, sqlite.Filter{InpatientOnly: true, From: f, To: t})
	if err != nil {
		return err
	}
	period := *from + "–" + *to
	if *version == "" {
		*version = "local-" + period
	}
	cat, skipped, err := grouper.BuildDIPCatalogue("local DIP catalogue", *version, period, cases, *minCases)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(cat, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	core := 0
	for _, g := range cat.Groups {
		if g.Kind == "core" {
			core++
		}
	}
	fmt.Fprintf(e.stdout, "DIP catalogue %s: %d cases → %d core and %d comprehensive groups (overall trimmed mean %.2f yuan; %d cases without a principal diagnosis skipped) → %s\n",
		cat.Version, cat.Cases, core, len(cat.Groups)-core, float64(cat.OverallMean)/100, skipped, *out)
	return nil
}

func runDIPAssign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dip assign", "dip assign --db DIR --catalogue catalogue.json [--json]")
	db := fs.String("db", "", "data directory")
	path := fs.String("catalogue", "", "DIP catalogue file")
	asJSON := fs.Bool("json", false, "JSON summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{msg: "--catalogue is required"}
	}
	cat, err := grouper.LoadDIPCatalogue(*path)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	cases, rowIDs, err := dipCases(ctx, st, sqlite.Filter{InpatientOnly: true})
	if err != nil {
		return err
	}
	summary := struct {
		Catalogue     string         `json:"catalogue"`
		Cases         int            `json:"cases"`
		Core          int            `json:"core"`
		Comprehensive int            `json:"comprehensive"`
		Unassigned    map[string]int `json:"unassigned_by_reason"`
	}{Catalogue: cat.Version, Cases: len(cases), Unassigned: map[string]int{}}
	rows := make([]sqlite.DIPRow, len(cases))
	for i, c := range cases {
		a := cat.Assign(c)
		rows[i] = sqlite.DIPRow{Row: rowIDs[i], SetlID: c.ID, Catalogue: cat.Version}
		if a.Group == nil {
			rows[i].Reason = a.ReasonZh
			summary.Unassigned[a.ReasonEn]++
			continue
		}
		rows[i].Group, rows[i].Score = a.Group.Code, a.Group.Score
		if a.Group.Kind == "core" {
			summary.Core++
		} else {
			summary.Comprehensive++
		}
	}
	if err := st.PutDIP(ctx, rows); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(summary)
	}
	fmt.Fprintf(e.stdout, "DIP %s: %d cases, %d in core groups, %d in comprehensive groups, %d unassigned\n",
		cat.Version, summary.Cases, summary.Core, summary.Comprehensive, summary.Cases-summary.Core-summary.Comprehensive)
	for reason, n := range summary.Unassigned {
		fmt.Fprintf(e.stdout, "  unassigned: %d × %s\n", n, reason)
	}
	return nil
}

func runDIPSettle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "dip settle", "dip settle --db DIR --catalogue FILE --period YYYY [--params FILE] [--json]")
	db := fs.String("db", "", "data directory")
	path := fs.String("catalogue", "", "DIP catalogue file")
	per := fs.String("period", "", "year settled: YYYY")
	params := fs.String("params", "", "payment parameters (dip.budget, dip.prepay_share, coefficients)")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return usageError{msg: "--catalogue is required"}
	}
	pr, err := parsePeriodFlag(*per)
	if err != nil {
		return err
	}
	p, err := loadParams(*params)
	if err != nil {
		return err
	}
	cat, err := grouper.LoadDIPCatalogue(*path)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	cases, _, err := dipCases(ctx, st, sqlite.Filter{InpatientOnly: true, From: pr.from, To: pr.to})
	if err != nil {
		return err
	}
	hospitals, months, err := st.HospitalAndMonth(ctx, pr.from, pr.to)
	if err != nil {
		return err
	}
	var dc []payment.DIPCase
	unassigned := 0
	for _, c := range cases {
		a := cat.Assign(c)
		if a.Group == nil {
			unassigned++
			continue
		}
		dc = append(dc, payment.DIPCase{SetlID: c.ID, Hospital: hospitals[c.ID], Month: months[c.ID], Score: a.Group.Score})
	}
	res, err := payment.SettleDIP(dc, p)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	fmt.Fprintf(e.stdout, "DIP %s with catalogue %s: %d cases (%d unassigned), %.2f points, point value %.4f yuan, budget %s yuan\n",
		pr.label, cat.Version, len(dc), unassigned, res.Points, res.PointValue/100, res.Budget)
	fmt.Fprintf(e.stdout, "  %-14s %6s %12s %14s %14s %14s\n", "hospital", "cases", "points", "payment", "prepaid", "liquidation")
	for _, h := range res.Hospitals {
		fmt.Fprintf(e.stdout, "  %-14s %6d %12.2f %14s %14s %14s\n", h.Hospital, h.Cases, h.Points, h.Payment, h.Prepaid, h.Liquidation)
	}
	return nil
}
