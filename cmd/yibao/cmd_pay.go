package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/payment"
)

// The calculation contract of docs/payment.md:
//
//	yibao weights --in reference.csv --out weights.csv [--policy FILE]
//	yibao pay --weights weights.csv --in cases.csv --budget YUAN --out payments.csv [--policy FILE] [--hospitals hospitals.csv]
//
// This file is the adapter: it reads and writes CSV and calls the payment engine.

// maxCSVBytes bounds a contract input file (a province's year is far below it).
const maxCSVBytes = 4 << 30

// loadPolicy reads a policy file, or a built-in policy by name ("default", "example-rate"),
// and lays a coefficient overlay over it.
func loadPolicy(path, coefficients string) (*payment.Policy, error) {
	var pol *payment.Policy
	switch {
	case path == "":
		pol = payment.DefaultPolicy()
	default:
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(path, `/\.`) {
			if pol, err = payment.BuiltinPolicy(path); err != nil {
				return nil, err
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", path, err)
		}
		if pol, err = payment.ParsePolicy(b); err != nil {
			return nil, fmt.Errorf("policy %s: %w", path, err)
		}
	}
	if coefficients != "" {
		b, err := os.ReadFile(coefficients)
		if err != nil {
			return nil, fmt.Errorf("coefficients %s: %w", coefficients, err)
		}
		o, err := payment.ParseCoefficientOverlay(b)
		if err != nil {
			return nil, fmt.Errorf("coefficients %s: %w", coefficients, err)
		}
		pol = pol.WithCoefficients(o)
		if err := pol.Validate(); err != nil {
			return nil, fmt.Errorf("coefficients %s: %w", coefficients, err)
		}
	}
	return pol, nil
}

// csvTable is a CSV file read by column name.
type csvTable struct {
	path string
	col  map[string]int
	rows [][]string
	line []int
}

func readCSVTable(path string, required ...string) (*csvTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(io.LimitReader(f, maxCSVBytes))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	t := &csvTable{path: path, col: map[string]int{}}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := t.col[h]; dup {
			return nil, fmt.Errorf("%s: header: column %q twice", path, h)
		}
		t.col[h] = i
	}
	for _, c := range required {
		if _, ok := t.col[c]; !ok {
			return nil, fmt.Errorf("%s: header: required column %q missing (have %s)", path, c, strings.Join(head, ","))
		}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil { // a csv.ParseError names the line and column
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		t.rows = append(t.rows, rec)
		t.line = append(t.line, line)
	}
	return t, nil
}

func (t *csvTable) get(row []string, name string) string {
	i, ok := t.col[name]
	if !ok || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// rowErrors collects bad records; the command refuses the file with all of them named
// (no case may be dropped from a payment run, and nothing is written).
type rowErrors struct {
	path string
	list []string
}

func (e *rowErrors) add(line int, id, field, why string) {
	if len(e.list) < 50 {
		e.list = append(e.list, fmt.Sprintf("%s: line %d (id %q): field %s: %s", e.path, line, id, field, why))
	} else if len(e.list) == 50 {
		e.list = append(e.list, "… more records rejected")
	}
}

func (e *rowErrors) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return fmt.Errorf("%d bad record(s), nothing written:\n  %s", len(e.list), strings.Join(e.list, "\n  "))
}

// parseScaled4 reads a decimal with at most four decimals as ten-thousandths.
func parseScaled4(s string) (int64, error) {
	d, err := yibao.ParseDec6(s)
	if err != nil {
		return 0, err
	}
	if d%100 != 0 {
		return 0, fmt.Errorf("%q has more than 4 decimals", s)
	}
	return int64(d) / 100, nil
}

var caseColumns = []string{"id", "hospital", "drg", "adrg", "status", "cost", "los", "dscg_way", "patient_paid"}

// readCases reads reference.csv or cases.csv.
func readCases(path string, payMode bool) ([]payment.PayCase, []int, error) {
	t, err := readCSVTable(path, caseColumns...)
	if err != nil {
		return nil, nil, err
	}
	bad := &rowErrors{path: path}
	out := make([]payment.PayCase, 0, len(t.rows))
	years := make([]int, 0, len(t.rows))
	seen := map[string]int{}
	for i, row := range t.rows {
		line := t.line[i]
		c := payment.PayCase{ID: t.get(row, "id"), Hospital: t.get(row, "hospital"), DRG: t.get(row, "drg"), ADRG: t.get(row, "adrg"),
			Status: t.get(row, "status"), DischargeWay: t.get(row, "dscg_way")}
		if c.ID == "" {
			bad.add(line, c.ID, "id", "empty")
			continue
		}
		if prev, dup := seen[c.ID]; dup {
			bad.add(line, c.ID, "id", fmt.Sprintf("also on line %d", prev))
			continue
		}
		seen[c.ID] = line
		if c.Hospital == "" {
			bad.add(line, c.ID, "hospital", "empty")
		}
		switch c.Status {
		case payment.StatusGrouped:
			if c.DRG == "" {
				bad.add(line, c.ID, "drg", "empty for a grouped case")
			}
		case payment.StatusUngroupable, payment.StatusFailed:
		default:
			bad.add(line, c.ID, "status", fmt.Sprintf("%q is not grouped, ungroupable or failed", c.Status))
		}
		money := func(field string, dst *yibao.Fen, optional bool) {
			s := t.get(row, field)
			if s == "" && optional {
				return
			}
			f, err := yibao.ParseYuan(s)
			switch {
			case err != nil:
				bad.add(line, c.ID, field, err.Error())
			case f < 0:
				bad.add(line, c.ID, field, "negative")
			default:
				*dst = f
			}
		}
		money("cost", &c.Cost, false)
		money("patient_paid", &c.PatientPaid, !payMode) // the reference table does not use it
		if payMode && c.PatientPaid > c.Cost {
			bad.add(line, c.ID, "patient_paid", "exceeds cost")
		}
		if s := t.get(row, "los"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > 3660 {
				bad.add(line, c.ID, "los", fmt.Sprintf("%q is not a number of days (0–3660)", s))
			}
			c.LOS = n
		} else {
			bad.add(line, c.ID, "los", "empty")
		}
		year := 0
		if s := t.get(row, "year"); s != "" {
			y, err := strconv.Atoi(s)
			if err != nil || y < 1900 || y > 9999 {
				bad.add(line, c.ID, "year", fmt.Sprintf("%q is not a year", s))
			}
			year = y
		}
		if payMode {
			money("deduction", &c.Deduction, true)
			switch r := t.get(row, "review"); r {
			case "", "pending":
			case "approved", "rejected":
				c.Review = r
			default:
				bad.add(line, c.ID, "review", fmt.Sprintf("%q is not approved, rejected or empty", r))
			}
			if s := t.get(row, "review_points"); s != "" {
				v, err := parseScaled4(s)
				if err != nil || v < 0 {
					bad.add(line, c.ID, "review_points", "not a non-negative number with at most 4 decimals")
				}
				c.DecidedPoints = payment.Points(v)
			}
			c.Void = t.get(row, "void")
			if s := t.get(row, "procedures"); s != "" {
				c.Procedures = strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' || r == ' ' })
			}
			if s := t.get(row, "month"); s != "" {
				m, err := strconv.Atoi(s)
				if err != nil || m < 1 || m > 12 {
					bad.add(line, c.ID, "month", fmt.Sprintf("%q is not 1–12", s))
				}
				c.Month = m
			}
		}
		out = append(out, c)
		years = append(years, year)
	}
	return out, years, bad.err()
}

func runWeightsFile(e *env, in, out, policy, official string, asJSON bool) error {
	if out == "" {
		return usageError{msg: "--out is required"}
	}
	pol, err := loadPolicy(policy, "")
	if err != nil {
		return err
	}
	cases, years, err := readCases(in, false)
	if err != nil {
		return err
	}
	rc := make([]payment.RefCase, len(cases))
	for i, c := range cases {
		rc[i] = payment.RefCase{ID: c.ID, DRG: c.DRG, ADRG: c.ADRG, Status: c.Status, Cost: c.Cost, LOS: c.LOS, Year: years[i]}
	}
	var off map[string]payment.Ratio
	if official != "" {
		if off, err = readOfficial(official); err != nil {
			return err
		}
	}
	w, err := payment.BuildReference(rc, pol, off)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	w.Version = "reference-" + strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	if err := writeWeightsCSV(out, w); err != nil {
		return err
	}
	return reportWeights(e, w, pol, asJSON)
}

func reportWeights(e *env, w *payment.Weights, pol *payment.Policy, asJSON bool) error {
	shift := w.CMI - w.CMIOwn
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"version": w.Version, "policy": pol.Version, "read": w.Read, "retained": w.Cases,
			"trimmed": w.Trimmed, "excluded": w.Excluded, "overall_mean_fen": w.OverallMean, "cmi_own": w.CMIOwn, "cmi": w.CMI,
			"cmi_shift_small_groups": shift, "inversions_own": w.ViolationsOwn, "inversions": w.Violations, "drgs": w.DRGs})
	}
	src := map[string]int{}
	for _, g := range w.DRGs {
		src[g.Source]++
	}
	fmt.Fprintf(e.stdout, "基准点数 reference table %s (policy %s): %d DRGs from %d retained of %d grouped cases (%d trimmed; %d not grouped or without cost left out)\n",
		w.Version, pol.Version, len(w.DRGs), w.Cases, w.Read, w.Trimmed, w.Excluded)
	fmt.Fprintf(e.stdout, "  Ā (mean cost of all retained cases) = %s yuan\n", w.OverallMean)
	fmt.Fprintf(e.stdout, "  CMI of the reference set: %s with every group on its own data, %s with the table (small-group rule moves it by %+.4f)\n",
		w.CMIOwn, w.CMI, shift.Float())
	fmt.Fprintf(e.stdout, "  severity inversions RW(…1) < RW(…3) < RW(…5) within an ADRG: %d on own data, %d in the table\n", w.ViolationsOwn, w.Violations)
	fmt.Fprintf(e.stdout, "  sources: %s\n", countsLine(src, nil))
	return nil
}

func readOfficial(path string) (map[string]payment.Ratio, error) {
	t, err := readCSVTable(path, "drg", "rw")
	if err != nil {
		return nil, err
	}
	out := map[string]payment.Ratio{}
	for i, row := range t.rows {
		v, err := parseScaled4(t.get(row, "rw"))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: line %d: field rw: %q is not a positive number with at most 4 decimals", path, t.line[i], t.get(row, "rw"))
		}
		out[t.get(row, "drg")] = payment.Ratio(v)
	}
	return out, nil
}

func writeWeightsCSV(path string, w *payment.Weights) error {
	return writeAtomic(path, func(f io.Writer) error {
		cw := csv.NewWriter(f)
		cw.Write([]string{"drg", "adrg", "cases", "mean_cost", "mean_los", "rw", "base_points", "source"})
		for _, g := range w.DRGs {
			cw.Write([]string{g.DRG, g.ADRG, strconv.Itoa(g.Cases), g.MeanCost.String(), strconv.FormatFloat(g.MeanLOS.Float(), 'f', 2, 64),
				g.RW.String(), g.BasePoints().String(), g.Source})
		}
		cw.Flush()
		return cw.Error()
	})
}

func readWeightsCSV(path string) (*payment.Weights, error) {
	t, err := readCSVTable(path, "drg", "rw")
	if err != nil {
		return nil, err
	}
	bad := &rowErrors{path: path}
	rows := make([]payment.Weight, 0, len(t.rows))
	for i, row := range t.rows {
		line := t.line[i]
		g := payment.Weight{DRG: t.get(row, "drg"), ADRG: t.get(row, "adrg"), Source: t.get(row, "source")}
		if v, err := parseScaled4(t.get(row, "rw")); err != nil || v <= 0 {
			bad.add(line, g.DRG, "rw", "not a positive number with at most 4 decimals")
		} else {
			g.RW = payment.Ratio(v)
		}
		if s := t.get(row, "cases"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				bad.add(line, g.DRG, "cases", "not a count")
			}
			g.Cases = n
		}
		if s := t.get(row, "mean_cost"); s != "" {
			f, err := yibao.ParseYuan(s)
			if err != nil || f < 0 {
				bad.add(line, g.DRG, "mean_cost", "not an amount in yuan")
			}
			g.MeanCost = f
		}
		if s := t.get(row, "mean_los"); s != "" {
			v, err := parseScaled4(s)
			if err != nil || v < 0 {
				bad.add(line, g.DRG, "mean_los", "not a number of days with at most 4 decimals")
			}
			g.MeanLOS = payment.Ratio(v)
		}
		rows = append(rows, g)
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	w, err := payment.NewWeights(filepath.Base(path), rows)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

func runPay(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "pay", "pay --weights weights.csv --in cases.csv --budget YUAN --out payments.csv [--policy FILE] [--coefficients FILE] [--hospitals hospitals.csv] [--json]")
	weights := fs.String("weights", "", "reference table (weights.csv of yibao weights, or an official table in its columns)")
	in := fs.String("in", "", "cases.csv: id,hospital,drg,adrg,status,cost,los,dscg_way,patient_paid[,review,review_points,deduction,void,procedures,month]")
	budget := fs.String("budget", "", "B: the pooled fund's DRG budget of the period, in yuan")
	out := fs.String("out", "", "payments.csv to write")
	policy := fs.String("policy", "", "payment policy file or built-in name (default: the built-in default)")
	coef := fs.String("coefficients", "", "coefficient overlay (hospitals, DRGs, technologies) laid over the policy")
	hospitals := fs.String("hospitals", "", "hospitals.csv to write")
	asJSON := fs.Bool("json", false, "JSON summary on stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *weights == "" || *in == "" || *budget == "" || *out == "" {
		return usageError{msg: "--weights, --in, --budget and --out are required"}
	}
	b, err := yibao.ParseYuan(*budget)
	if err != nil || b < 0 {
		return usageError{msg: fmt.Sprintf("--budget %q: a non-negative amount in yuan with at most 2 decimals", *budget)}
	}
	pol, err := loadPolicy(*policy, *coef)
	if err != nil {
		return err
	}
	w, err := readWeightsCSV(*weights)
	if err != nil {
		return err
	}
	cases, _, err := readCases(*in, true)
	if err != nil {
		return err
	}
	res, err := payment.Pay(cases, w, pol, b)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := writeAtomic(*out, func(f io.Writer) error { return writePaymentsCSV(f, res) }); err != nil {
		return err
	}
	if *hospitals != "" {
		if err := writeAtomic(*hospitals, func(f io.Writer) error { return writeHospitalsCSV(f, res) }); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"policy": res.Policy, "mode": res.Mode, "budget_fen": res.Budget,
			"patient_paid_fen": res.Points.PatientPaid, "total_points": res.Points.TotalPoints, "point_value": res.PointValue(6),
			"kinds": res.Kinds, "hospitals": res.Hospitals, "rate": res.Rate})
	}
	printPayment(e.stdout, res)
	return nil
}

func printPayment(w io.Writer, res *payment.Result) {
	s := &res.Points
	if res.Rate != nil {
		fmt.Fprintf(w, "费率法 rate mode (policy %s): rate %s yuan per point, %s points; fund at the rate %s yuan against B = %s yuan\n",
			res.Policy, res.Rate.Rate, s.TotalPoints, res.Rate.FundAtRate, res.Budget)
		fmt.Fprintf(w, "  overspend %s (fund bears %s, hospitals %s), surplus %s (hospitals retain %s)\n",
			res.Rate.Overspend, res.Rate.FundBears, res.Rate.HospitalsBear, res.Rate.Surplus, res.Rate.Retained)
	} else {
		// The value first, so that a reader (or a script) finds it before the inputs.
		fmt.Fprintf(w, "point value: %s yuan per point (点值 PV = (B + P) / T = (%s + %s) / %s; policy %s)\n",
			s.PointValueString(6), s.Budget, s.PatientPaid, s.TotalPoints, res.Policy)
	}
	fmt.Fprintf(w, "  %d cases by kind %s; %d awaiting special review (特例单议); deductions %s yuan\n",
		len(res.Cases), countsLine(res.Kinds, paymentKindZH), res.Pending, res.Deductions)
	for _, h := range res.Hospitals {
		if h.Review.Over {
			fmt.Fprintf(w, "  warning: hospital %s has %d approved special-review cases, above its quota of %d\n", h.Hospital, h.Review.Approved, h.Review.Quota)
		}
	}
}

func trimRatio(r payment.Ratio) string {
	s := r.String()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func writePaymentsCSV(f io.Writer, res *payment.Result) error {
	cw := csv.NewWriter(f)
	cw.Write([]string{"id", "hospital", "drg", "kind", "ratio", "threshold", "points", "amount", "patient_paid", "fund_paid"})
	for i := range res.Cases {
		c := &res.Cases[i]
		ratio, t := "", ""
		if c.HasRatio {
			ratio = c.Ratio.String()
		}
		if c.Threshold > 0 {
			t = trimRatio(c.Threshold)
		}
		cw.Write([]string{c.ID, c.Hospital, c.DRG, c.Kind, ratio, t, c.Points.String(), c.Amount.String(),
			c.CountedPatientPaid().String(), c.FundPaid.String()})
	}
	cw.Flush()
	return cw.Error()
}

func writeHospitalsCSV(f io.Writer, res *payment.Result) error {
	cw := csv.NewWriter(f)
	cw.Write([]string{"hospital", "cases", "points", "amount", "patient_paid", "deduction", "fund_paid"})
	for _, h := range res.Hospitals {
		cw.Write([]string{h.Hospital, strconv.Itoa(h.Cases), h.Points.String(), h.Settled.String(), h.PatientPaid.String(),
			h.Deduction.String(), h.FundPaid.String()})
	}
	cw.Flush()
	return cw.Error()
}

// paymentKindZH names the case categories of the point method (docs/payment.md).
var paymentKindZH = map[string]string{
	"normal": "正常病例 normal", "high": "高倍率 high", "low": "低倍率 low", "incomplete": "非完整住院 incomplete",
	"per_diem": "床日 per-diem", "special_review": "特例单议 special review",
}
