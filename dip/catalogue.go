package dip

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/payment"
)

// Case is what DIP needs of an inpatient stay: the grouping kit's case columns plus the
// hospital, its level, the total cost, what the patient actually paid (from the settlement
// document) and, for payment, a special-review decision and a deduction.
type Case struct {
	ID         string
	Age        int // completed years
	AgeDays    int // −1 when unknown
	LOS        int
	Discharge  string   // 离院方式: 5 = death
	Diagnoses  []string // principal first
	Procedures []string
	Hospital   string
	Level      string
	Cost       yibao.Fen
	Paid       yibao.Fen // patient's actual payment
	Deduction  yibao.Fen
	Review     string // "", approved, rejected
	Year       string // reference year, for year weights
}

// Group kinds.
const (
	KindCore          = "core"
	KindComprehensive = "comprehensive"
)

// CatchAllCategory is the category of the region-wide comprehensive group of a class, where
// a case lands whose category (or category × class) the reference never saw.
const CatchAllCategory = "*"

// Tier ids of the auxiliary catalogue.
var TierIDs = []string{"none", "cc", "mcc", "death_early", "death_late", "age_neonate", "age_infant", "age_elderly"}

// Group is one row of the catalogue.
type Group struct {
	Code       string
	Kind       string
	Category   string // principal-diagnosis key (core) or 3-character category (comprehensive)
	Class      string
	Procedures []string // core groups: the sorted combination of classified procedures
	RawCases   int      // reference cases before cleaning
	Cases      int      // retained cases
	Mean       yibao.Fen
	Score      payment.Points
	LevelMeans map[string]yibao.Fen
	Tiers      map[string]payment.Ratio // tiers with enough cases; the others are 1
}

// Catalogue is a DIP catalogue (目录库 with its 辅助目录).
type Catalogue struct {
	Policy      string // policy version it was built with
	OverallMean yibao.Fen
	Groups      []Group
	index       map[string]int
}

// Engine holds the rules a catalogue is built and applied with.
type Engine struct {
	Policy   *Policy
	Classes  *ClassTable
	Severity *SeverityTables
}

// Key is how a case is classified: its principal-diagnosis key, 3-character category,
// classified procedure combination and treatment class.
type Key struct {
	Principal  string
	Category   string
	Procedures []string
	Class      string
}

// KeyOf classifies a case; a case without a principal diagnosis has an empty Principal.
func (e *Engine) KeyOf(c *Case) Key {
	var k Key
	if len(c.Diagnoses) > 0 && c.Diagnoses[0] != "" {
		pdx := c.Diagnoses[0]
		k.Category = pdx
		if len(pdx) > 3 {
			k.Category = pdx[:3]
		}
		switch e.Policy.Rules.PrincipalKey.Value {
		case "code":
			k.Principal = pdx
		case "category":
			k.Principal = k.Category
		default:
			k.Principal = k.Category
			if len(pdx) >= 5 && pdx[3] == '.' {
				k.Principal = pdx[:5]
			}
		}
	}
	k.Class = ClassConservative
	for _, p := range c.Procedures {
		cl := e.Classes.Class(p)
		if cl == ClassAncillary {
			continue
		}
		k.Procedures = append(k.Procedures, p)
		if classRank(cl) > classRank(k.Class) {
			k.Class = cl
		}
	}
	sort.Strings(k.Procedures)
	k.Procedures = slices.Compact(k.Procedures)
	return k
}

// CoreCode is the code of the core group of a key: principal key, then the combination
// ("K35.8:47.0901+54.1100"; "K35.8:保守治疗" without classified procedures).
func CoreCode(k Key) string {
	if len(k.Procedures) == 0 {
		return k.Principal + ":" + ClassConservative
	}
	return k.Principal + ":" + strings.Join(k.Procedures, "+")
}

// ComprehensiveCode is the code of a comprehensive group ("K35:综合-相关手术").
func ComprehensiveCode(category, class string) string { return category + ":综合-" + class }

// TiersOf lists the auxiliary tiers a case belongs to under the policy.
func (e *Engine) TiersOf(c *Case) []string {
	t := e.Policy.Rules.Tiers.Value
	var out []string
	if t.Severity {
		out = append(out, e.Severity.Severity(c.Diagnoses))
	}
	if t.Death && c.Discharge == "5" {
		if c.LOS <= t.EarlyDeathDays {
			out = append(out, "death_early")
		} else {
			out = append(out, "death_late")
		}
	}
	if t.Age {
		switch {
		case c.Age == 0 && c.AgeDays >= 0 && c.AgeDays <= t.NeonateDays:
			out = append(out, "age_neonate")
		case c.Age == 0:
			out = append(out, "age_infant")
		case c.Age >= t.ElderlyAge:
			out = append(out, "age_elderly")
		}
	}
	return out
}

// Build makes the catalogue from a reference case set (docs/dip.md §3).
func (e *Engine) Build(cases []Case) (*Catalogue, error) {
	if len(cases) == 0 {
		return nil, fmt.Errorf("no reference cases")
	}
	pol := &e.Policy.Rules
	keys := make([]Key, len(cases))
	weights := make([]int64, len(cases))
	combo := map[string]int{}
	for i := range cases {
		c := &cases[i]
		keys[i] = e.KeyOf(c)
		if keys[i].Principal == "" {
			return nil, fmt.Errorf("reference case %s: no principal diagnosis", c.ID)
		}
		if c.Cost <= 0 {
			return nil, fmt.Errorf("reference case %s: cost %s must be positive", c.ID, c.Cost)
		}
		weights[i] = 1
		if yw := pol.YearWeights.Value; len(yw) > 0 {
			w, ok := yw[c.Year]
			if !ok {
				return nil, fmt.Errorf("reference case %s: year %q has no weight in the policy's year_weights", c.ID, c.Year)
			}
			weights[i] = int64(w)
		}
		combo[CoreCode(keys[i])]++
	}
	// Members of each group, core or comprehensive.
	members := map[string][]int{}
	proto := map[string]Group{}
	for i, k := range keys {
		code, g := CoreCode(k), Group{Kind: KindCore, Category: k.Principal, Class: k.Class, Procedures: k.Procedures}
		if combo[code] < pol.CoreMinCases.Value {
			code, g = ComprehensiveCode(k.Category, k.Class), Group{Kind: KindComprehensive, Category: k.Category, Class: k.Class}
		}
		g.Code = code
		members[code] = append(members[code], i)
		proto[code] = g
	}
	// One cleaned case set: clean within each group; Ā over the union of what is kept.
	retained := map[string][]int{}
	var all []int
	codes := make([]string, 0, len(members))
	for code, m := range members {
		retained[code] = e.clean(cases, m)
		if len(retained[code]) == 0 { // the rule kept nothing (degenerate spread): keep all
			retained[code] = m
		}
		all = append(all, retained[code]...)
		codes = append(codes, code)
	}
	sort.Strings(codes)
	overall := weightedMean(cases, weights, all)
	if overall <= 0 {
		return nil, fmt.Errorf("the overall reference mean is %s yuan: it must be positive (check year weights)", overall)
	}
	cat := &Catalogue{Policy: e.Policy.Version, OverallMean: overall}
	add := func(g Group, raw int, kept []int) {
		g.RawCases, g.Cases = raw, len(kept)
		g.Mean = weightedMean(cases, weights, kept)
		if g.Mean <= 0 { // every retained case has year weight 0: fall back to all years
			g.Mean = weightedMean(cases, nil, kept)
		}
		g.Score = scoreOf(g.Mean, overall)
		g.LevelMeans, g.Tiers = map[string]yibao.Fen{}, map[string]payment.Ratio{}
		byLevel, byTier := map[string][]int{}, map[string][]int{}
		for _, i := range kept {
			byLevel[cases[i].Level] = append(byLevel[cases[i].Level], i)
			for _, t := range e.TiersOf(&cases[i]) {
				byTier[t] = append(byTier[t], i)
			}
		}
		for l, m := range byLevel {
			if l != "" && len(m) >= pol.LevelMinCases.Value {
				if mean := weightedMean(cases, weights, m); mean > 0 {
					g.LevelMeans[l] = mean
				}
			}
		}
		for t, m := range byTier {
			if len(m) >= pol.TierMinCases.Value {
				if mean := weightedMean(cases, weights, m); mean > 0 {
					g.Tiers[t] = payment.Ratio(divRound(int64(mean)*int64(payment.RatioOne), int64(g.Mean)))
				}
			}
		}
		cat.Groups = append(cat.Groups, g)
	}
	byClass := map[string][]int{}
	rawByClass := map[string]int{}
	for _, code := range codes {
		g := proto[code]
		add(g, len(members[code]), retained[code])
		byClass[g.Class] = append(byClass[g.Class], retained[code]...)
		rawByClass[g.Class] += len(members[code])
	}
	// The region-wide comprehensive group of every class, for categories (or category ×
	// class) the reference never saw: the mean of all retained reference cases of that class;
	// a class with no reference case gets the overall mean (score 1000).
	for _, cl := range Classes {
		g := Group{Code: ComprehensiveCode(CatchAllCategory, cl), Kind: KindComprehensive, Category: CatchAllCategory, Class: cl}
		if len(byClass[cl]) == 0 {
			g.Mean, g.Score = overall, scoreOf(overall, overall)
			g.LevelMeans, g.Tiers = map[string]yibao.Fen{}, map[string]payment.Ratio{}
			cat.Groups = append(cat.Groups, g)
			continue
		}
		add(g, rawByClass[cl], byClass[cl])
	}
	cat.index = nil
	return cat, nil
}

// scoreOf is S = mean / overall × 1000 to four decimals, half away from zero.
func scoreOf(mean, overall yibao.Fen) payment.Points {
	return payment.Points(divRound(int64(mean)*1000*payment.PointsScale, int64(overall)))
}

// clean applies the policy's outlier rule to the members of one group and returns those kept.
func (e *Engine) clean(cases []Case, m []int) []int {
	cl := e.Policy.Rules.Cleaning.Value
	costs := make([]yibao.Fen, len(m))
	for j, i := range m {
		costs[j] = cases[i].Cost
	}
	slices.Sort(costs)
	var lo, hi yibao.Fen
	if len(costs) >= cl.PercentileMinCases && cl.PercentileMinCases > 0 {
		lo, hi = payment.Percentile(costs, cl.LowPercentile/100), payment.Percentile(costs, cl.HighPercentile/100)
	} else {
		med := payment.Percentile(costs, 0.5)
		lo, hi = yibao.Fen(int64(med)/cl.MedianDivisor), yibao.Fen(int64(med)*cl.MedianFactor)
	}
	var kept []int
	for _, i := range m {
		if c := cases[i].Cost; c >= lo && c <= hi {
			kept = append(kept, i)
		}
	}
	return kept
}

// weightedMean is Σ w·cost / Σ w over the members, to the fen (half away from zero); nil
// weights count every case once.
func weightedMean(cases []Case, w []int64, m []int) yibao.Fen {
	var sum, n int64
	for _, i := range m {
		wi := int64(1)
		if w != nil {
			wi = w[i]
		}
		sum += wi * int64(cases[i].Cost)
		n += wi
	}
	if n == 0 {
		return 0
	}
	return yibao.Fen(divRound(sum, n))
}

// divRound divides rounding half away from zero.
func divRound(a, b int64) int64 {
	q, r := a/b, a%b
	if r < 0 {
		r = -r
	}
	bb := b
	if bb < 0 {
		bb = -bb
	}
	if 2*r >= bb {
		if (a < 0) != (b < 0) {
			q--
		} else {
			q++
		}
	}
	return q
}

func (c *Catalogue) buildIndex() {
	c.index = make(map[string]int, len(c.Groups))
	for i := range c.Groups {
		c.index[c.Groups[i].Code] = i
	}
}

// Group returns the group with the code, or nil.
func (c *Catalogue) Group(code string) *Group {
	if c.index == nil {
		c.buildIndex()
	}
	if i, ok := c.index[code]; ok {
		return &c.Groups[i]
	}
	return nil
}

// Assignment is the group of one case and the tiers it belongs to.
type Assignment struct {
	Group *Group
	Key   Key
	Tiers []string
	// Route says how the group was found: core, comprehensive, or catch-all (unseen
	// category or category × class).
	Route string
}

// Assign puts a case in exactly one group: its core group, else the comprehensive group of
// its category and class, else the region-wide comprehensive group of its class.
func (e *Engine) Assign(cat *Catalogue, c *Case) (Assignment, error) {
	a := Assignment{Key: e.KeyOf(c), Tiers: e.TiersOf(c)}
	if a.Key.Principal != "" {
		if g := cat.Group(CoreCode(a.Key)); g != nil && g.Kind == KindCore {
			a.Group, a.Route = g, "core"
			return a, nil
		}
		if g := cat.Group(ComprehensiveCode(a.Key.Category, a.Key.Class)); g != nil {
			a.Group, a.Route = g, "comprehensive"
			return a, nil
		}
	}
	g := cat.Group(ComprehensiveCode(CatchAllCategory, a.Key.Class))
	if g == nil {
		return a, fmt.Errorf("catalogue has no region-wide comprehensive group %s", ComprehensiveCode(CatchAllCategory, a.Key.Class))
	}
	a.Group, a.Route = g, "catch-all"
	return a, nil
}

// AuxCoefficient is the highest coefficient among the tiers the case belongs to (1 when
// none of them has enough reference cases).
func (g *Group) AuxCoefficient(tiers []string) payment.Ratio {
	best, found := payment.Ratio(0), false
	for _, t := range tiers {
		k, ok := g.Tiers[t]
		if !ok {
			k = payment.RatioOne
		}
		if !found || k > best {
			best, found = k, true
		}
	}
	if !found {
		return payment.RatioOne
	}
	return best
}

// LevelMean is Ā_{g,l}, falling back to the all-level mean.
func (g *Group) LevelMean(level string) yibao.Fen {
	if m, ok := g.LevelMeans[level]; ok {
		return m
	}
	return g.Mean
}

// Counts returns the number of core and comprehensive groups.
func (c *Catalogue) Counts() (core, comprehensive int) {
	for _, g := range c.Groups {
		if g.Kind == KindCore {
			core++
		} else {
			comprehensive++
		}
	}
	return
}

// FormatLevelMeans writes level means as "1=1234.56;3=2345.67".
func FormatLevelMeans(m map[string]yibao.Fen) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k].String()
	}
	return strings.Join(parts, ";")
}

// FormatTiers writes tier coefficients as "cc=1.1500;mcc=1.4000".
func FormatTiers(m map[string]payment.Ratio) string {
	var parts []string
	for _, t := range TierIDs {
		if k, ok := m[t]; ok {
			parts = append(parts, t+"="+k.String())
		}
	}
	return strings.Join(parts, ";")
}

// ParseLevelMeans reads FormatLevelMeans's form into m.
func ParseLevelMeans(s string, m map[string]yibao.Fen) error {
	return parsePairs(s, func(k, v string) error {
		f, err := yibao.ParseYuan(v)
		if err != nil || f <= 0 || f > 100_000_000_000_000 {
			return fmt.Errorf("level %s: %q is not a positive amount", k, v)
		}
		m[k] = f
		return nil
	})
}

// ParseTiers reads FormatTiers's form into m.
func ParseTiers(s string, m map[string]payment.Ratio) error {
	return parsePairs(s, func(k, v string) error {
		if !slices.Contains(TierIDs, k) {
			return fmt.Errorf("unknown tier %q", k)
		}
		r, err := parseRatio(v)
		if err != nil {
			return fmt.Errorf("tier %s: %w", k, err)
		}
		m[k] = r
		return nil
	})
}

func parsePairs(s string, fn func(k, v string) error) error {
	if s == "" {
		return nil
	}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q is not key=value", part)
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func parseRatio(s string) (payment.Ratio, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 100 {
		return 0, fmt.Errorf("%q is not a positive number", s)
	}
	return payment.RatioOf(f), nil
}
