// Package dipfile reads and writes the CSV files of the DIP calculation contract
// (docs/dip.md §8): case files (the grouping kit's case columns plus hospital, level, cost,
// patient_paid and optional review, deduction, year), catalogue.csv, payments.csv and
// hospitals.csv.
package dipfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/dip"
	"github.com/yibao-dev/yibao/payment"
)

// MaxErrors bounds the problems one read reports.
const MaxErrors = 20

// Problems is the list of bad records of a file; the file is refused as a whole so that no
// result is computed on part of it.
type Problems struct {
	File  string
	Items []string
	More  int
}

func (p *Problems) Error() string {
	s := fmt.Sprintf("%s: %d bad record(s):\n  %s", p.File, len(p.Items)+p.More, strings.Join(p.Items, "\n  "))
	if p.More > 0 {
		s += fmt.Sprintf("\n  … and %d more", p.More)
	}
	return s
}

func (p *Problems) add(line int, id, field, reason string) {
	if len(p.Items) >= MaxErrors {
		p.More++
		return
	}
	rec := fmt.Sprintf("line %d", line)
	if id != "" {
		rec += fmt.Sprintf(" (id %q)", id)
	}
	p.Items = append(p.Items, fmt.Sprintf("%s, field %s: %s", rec, field, reason))
}

// idSyntax: letters (any script), digits and _.:#/- , at most 64 characters.
var idSyntax = regexp.MustCompile(`^[\p{L}\p{N}_.:#/\-]{1,64}$`)

// splitList splits a code list at | and , keeping empty items (CHS-DRG 1.1 kit README §2.2).
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '|' || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// ReadCases reads a case file. With payment set, hospital and patient_paid are required.
func ReadCases(r io.Reader, file string, payment bool) ([]dip.Case, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	h, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file, no header row", file)
		}
		return nil, fmt.Errorf("%s: header: %w", file, err)
	}
	col := map[string]int{}
	for i, name := range h {
		name = strings.TrimPrefix(name, "\ufeff")
		if _, dup := col[name]; dup {
			return nil, fmt.Errorf("%s: header names column %q twice", file, name)
		}
		col[name] = i
	}
	required := []string{"id", "diagnoses", "cost"}
	if payment {
		required = append(required, "hospital", "patient_paid")
	}
	for _, c := range required {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: header lacks the column %s (got %s)", file, c, strings.Join(h, ","))
		}
	}
	probs := &Problems{File: file}
	seen := map[string]int{}
	var cases []dip.Case
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				probs.add(pe.Line, "", "-", pe.Err.Error())
				line = pe.Line
				continue
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		c := dip.Case{ID: get("id"), AgeDays: -1, Age: -1, Discharge: get("discharge"), Hospital: get("hospital"),
			Level: get("level"), Review: get("review"), Year: get("year")}
		if !idSyntax.MatchString(c.ID) {
			probs.add(line, "", "id", "must be 1–64 letters, digits or _.:#/-")
			continue
		}
		if prev, dup := seen[c.ID]; dup {
			probs.add(line, c.ID, "id", fmt.Sprintf("also on line %d", prev))
			continue
		}
		seen[c.ID] = line
		bad := false
		intField := func(name string, dst *int, def int) {
			s := get(name)
			if s == "" {
				*dst = def
				return
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 || v > 1_000_000 {
				probs.add(line, c.ID, name, fmt.Sprintf("%q is not a non-negative integer", s))
				bad = true
				return
			}
			*dst = v
		}
		intField("age", &c.Age, -1)
		intField("age_days", &c.AgeDays, -1)
		intField("los", &c.LOS, 0)
		money := func(name string, dst *yibao.Fen, required bool) {
			s := get(name)
			if s == "" {
				if required {
					probs.add(line, c.ID, name, "empty")
					bad = true
				}
				return
			}
			v, err := yibao.ParseYuan(s)
			if err != nil || v < 0 {
				probs.add(line, c.ID, name, fmt.Sprintf("%q is not a non-negative amount in yuan with at most 2 decimals", s))
				bad = true
				return
			}
			*dst = v
		}
		money("cost", &c.Cost, true)
		money("patient_paid", &c.Paid, payment)
		money("deduction", &c.Deduction, false)
		if payment && c.Hospital == "" {
			probs.add(line, c.ID, "hospital", "empty")
			bad = true
		} else if c.Hospital != "" && !idSyntax.MatchString(c.Hospital) {
			probs.add(line, c.ID, "hospital", "must be 1–64 letters, digits or _.:#/-")
			bad = true
		}
		if len(c.Level) > 16 || strings.ContainsAny(c.Level, ";=") {
			probs.add(line, c.ID, "level", "at most 16 characters, without ; or =")
			bad = true
		}
		if r, ok := reviewState(c.Review); ok {
			c.Review = r
		} else {
			probs.add(line, c.ID, "review", fmt.Sprintf("%q is not approved, rejected or empty", c.Review))
			bad = true
		}
		c.Diagnoses = splitList(get("diagnoses"))
		c.Procedures = splitList(get("procedures"))
		for _, list := range [][]string{c.Diagnoses, c.Procedures} {
			for _, code := range list {
				if len(code) > 40 || strings.ContainsAny(code, ":;= ") {
					probs.add(line, c.ID, "diagnoses/procedures", fmt.Sprintf("code %q is malformed", code))
					bad = true
				}
			}
		}
		if !bad {
			cases = append(cases, c)
		}
	}
	if len(probs.Items) > 0 {
		return nil, probs
	}
	return cases, nil
}

// CatalogueColumns are the columns of catalogue.csv: the contract's seven, then extras.
var CatalogueColumns = []string{"group", "kind", "category", "class", "cases", "mean_cost", "score",
	"raw_cases", "procedures", "level_means", "tiers", "overall_mean", "policy"}

// WriteCatalogue writes catalogue.csv.
func WriteCatalogue(w io.Writer, cat *dip.Catalogue) error {
	cw := csv.NewWriter(w)
	cw.Write(CatalogueColumns)
	for _, g := range cat.Groups {
		cw.Write([]string{g.Code, g.Kind, g.Category, g.Class, strconv.Itoa(g.Cases), g.Mean.String(), g.Score.String(),
			strconv.Itoa(g.RawCases), strings.Join(g.Procedures, "+"), dip.FormatLevelMeans(g.LevelMeans), dip.FormatTiers(g.Tiers),
			cat.OverallMean.String(), cat.Policy})
	}
	cw.Flush()
	return cw.Error()
}

// ReadCatalogue reads catalogue.csv.
func ReadCatalogue(r io.Reader, file string) (*dip.Catalogue, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	h, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", file, err)
	}
	col := map[string]int{}
	for i, name := range h {
		col[strings.TrimPrefix(name, "\ufeff")] = i
	}
	for _, c := range CatalogueColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: header lacks the column %s", file, c)
		}
	}
	cat := &dip.Catalogue{}
	probs := &Problems{File: file}
	seen := map[string]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		get := func(name string) string {
			if i := col[name]; i < len(rec) {
				return rec[i]
			}
			return ""
		}
		g := dip.Group{Code: get("group"), Kind: get("kind"), Category: get("category"), Class: get("class")}
		if g.Code == "" || seen[g.Code] {
			probs.add(line, g.Code, "group", "empty or repeated")
			continue
		}
		seen[g.Code] = true
		if g.Kind != dip.KindCore && g.Kind != dip.KindComprehensive {
			probs.add(line, g.Code, "kind", "must be core or comprehensive")
			continue
		}
		if !validClass(g.Class) {
			probs.add(line, g.Code, "class", "must be 保守治疗, 诊断性操作, 治疗性操作 or 相关手术")
			continue
		}
		var errs []string
		atoi := func(name string) int {
			v, err := strconv.Atoi(get(name))
			if err != nil || v < 0 {
				errs = append(errs, name)
			}
			return v
		}
		g.Cases, g.RawCases = atoi("cases"), atoi("raw_cases")
		const maxMean = 100_000_000_000_000 // fen (10¹² yuan)
		if g.Mean, err = yibao.ParseYuan(get("mean_cost")); err != nil || g.Mean <= 0 || g.Mean > maxMean {
			errs = append(errs, "mean_cost")
		}
		overall, err := yibao.ParseYuan(get("overall_mean"))
		if err != nil || overall <= 0 || overall > maxMean || (cat.OverallMean != 0 && overall != cat.OverallMean) {
			errs = append(errs, "overall_mean")
		}
		cat.OverallMean = overall
		if cat.Policy == "" {
			cat.Policy = get("policy")
		}
		score, err := strconv.ParseFloat(get("score"), 64)
		if err != nil || score < 0 || score > 1e9 {
			errs = append(errs, "score")
		}
		g.Score = payment.PointsOf(score)
		if s := get("procedures"); s != "" {
			g.Procedures = strings.Split(s, "+")
		}
		g.LevelMeans, g.Tiers = map[string]yibao.Fen{}, map[string]payment.Ratio{}
		if err := dip.ParseLevelMeans(get("level_means"), g.LevelMeans); err != nil {
			errs = append(errs, "level_means ("+err.Error()+")")
		}
		if err := dip.ParseTiers(get("tiers"), g.Tiers); err != nil {
			errs = append(errs, "tiers ("+err.Error()+")")
		}
		if len(errs) > 0 {
			probs.add(line, g.Code, strings.Join(errs, ", "), "invalid")
			continue
		}
		cat.Groups = append(cat.Groups, g)
	}
	if len(probs.Items) > 0 {
		return nil, probs
	}
	if len(cat.Groups) == 0 {
		return nil, fmt.Errorf("%s: no groups", file)
	}
	for _, cl := range dip.Classes {
		if cat.Group(dip.ComprehensiveCode(dip.CatchAllCategory, cl)) == nil {
			return nil, fmt.Errorf("%s: the region-wide comprehensive group %s is missing", file, dip.ComprehensiveCode(dip.CatchAllCategory, cl))
		}
	}
	return cat, nil
}

func validClass(c string) bool {
	for _, x := range dip.Classes {
		if x == c {
			return true
		}
	}
	return false
}

// PaymentColumns are the columns of payments.csv: the contract's twelve, then extras.
var PaymentColumns = []string{"id", "hospital", "group", "kind", "ratio", "group_mean", "score", "aux_coefficient",
	"points", "amount", "patient_paid", "fund_paid", "group_kind", "route", "level", "coefficient", "deduction", "review_reason"}

// WritePayments writes payments.csv, one row per case in input order.
func WritePayments(w io.Writer, s *dip.Settlement) error {
	cw := csv.NewWriter(w)
	cw.Write(PaymentColumns)
	for _, c := range s.Cases {
		cw.Write([]string{c.Case.ID, c.Case.Hospital, c.Group.Code, c.Kind, c.RatioString(), c.GroupMean.String(),
			c.Group.Score.String(), c.Aux.String(), c.Points.String(), c.Amount.String(), c.CountedPaid().String(),
			c.FundPaid.String(), c.Group.Kind, c.Route, c.Case.Level, c.K.String(), c.Case.Deduction.String(), c.ReasonZh})
	}
	cw.Flush()
	return cw.Error()
}

// HospitalColumns are the columns of hospitals.csv (the same as the DRG contract's). The
// point value is printed by the command, not written here, so that every row has the same
// columns for strict CSV readers.
var HospitalColumns = []string{"hospital", "cases", "points", "amount", "patient_paid", "deduction", "fund_paid"}

// WriteHospitals writes hospitals.csv, one row per hospital.
func WriteHospitals(w io.Writer, s *dip.Settlement) error {
	cw := csv.NewWriter(w)
	cw.Write(HospitalColumns)
	for _, h := range s.Points.Hospitals {
		cw.Write([]string{h.Hospital, strconv.Itoa(h.Cases), h.Points.String(), h.Amount.String(), h.PatientPaid.String(),
			h.Deduction.String(), h.FundPaid.String()})
	}
	cw.Flush()
	return cw.Error()
}

// Decision is a special-review decision and/or deduction for one stored case.
type Decision struct {
	Review    string
	Deduction yibao.Fen
}

// ReadDecisions reads id,review[,deduction] rows (review approved, rejected or empty; 通过 /
// 不通过 accepted) for the store-based settlement.
func ReadDecisions(r io.Reader, file string) (map[string]Decision, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	h, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", file, err)
	}
	col := map[string]int{}
	for i, name := range h {
		col[strings.TrimPrefix(name, "\ufeff")] = i
	}
	if _, ok := col["id"]; !ok {
		return nil, fmt.Errorf("%s: header lacks the column id", file)
	}
	out := map[string]Decision{}
	probs := &Problems{File: file}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		id := get("id")
		if !idSyntax.MatchString(id) {
			probs.add(line, "", "id", "must be 1–64 letters, digits or _.:#/-")
			continue
		}
		if _, dup := out[id]; dup {
			probs.add(line, id, "id", "listed twice")
			continue
		}
		d := Decision{Review: get("review")}
		r, ok := reviewState(d.Review)
		if !ok {
			probs.add(line, id, "review", fmt.Sprintf("%q is not approved, rejected or empty", d.Review))
			continue
		}
		d.Review = r
		if s := get("deduction"); s != "" {
			if d.Deduction, err = yibao.ParseYuan(s); err != nil || d.Deduction < 0 {
				probs.add(line, id, "deduction", fmt.Sprintf("%q is not a non-negative amount in yuan", s))
				continue
			}
		}
		out[id] = d
	}
	if len(probs.Items) > 0 {
		return nil, probs
	}
	return out, nil
}

// reviewState reads a special-review decision: approved, rejected, or empty for pending,
// in English or Chinese.
func reviewState(s string) (string, bool) {
	switch s {
	case "", "pending", "待审":
		return "", true
	case "approved", "通过":
		return "approved", true
	case "rejected", "不通过":
		return "rejected", true
	}
	return "", false
}
