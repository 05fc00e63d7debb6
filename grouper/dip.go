package grouper

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/yibao-dev/yibao"
)

// DIP (按病种分值付费, Diagnosis-Intervention Packet) groups are built from local data: a
// core group is a principal-diagnosis category crossed with a procedure combination seen
// often enough; rarer combinations fall into a comprehensive group of their category by
// treatment class. Scores are relative costs (group mean / overall mean × 1000).

// Treatment classes of comprehensive groups.
const (
	TreatConservative = "conservative" // 保守治疗: no procedure
	TreatDiagnostic   = "diagnostic"   // 诊断性操作
	TreatTherapeutic  = "therapeutic"  // 治疗性操作
	TreatSurgical     = "surgical"     // 手术
)

var treatmentZh = map[string]string{TreatConservative: "保守治疗", TreatDiagnostic: "诊断性操作", TreatTherapeutic: "治疗性操作", TreatSurgical: "手术"}

// DIPCase is what DIP needs of a settlement.
type DIPCase struct {
	ID         string
	Principal  string   // principal diagnosis code
	Procedures []string // procedure codes
	Cost       yibao.Fen
}

// DIPGroup is one entry of a catalogue.
type DIPGroup struct {
	Code       string   `json:"code"`
	Kind       string   `json:"kind"` // core or comprehensive
	Category   string   `json:"dx_category"`
	Procedures []string `json:"procedures,omitempty"` // core groups: the sorted combination
	Treatment  string   `json:"treatment"`
	Cases      int      `json:"cases"`
	Trimmed    int      `json:"cases_after_trimming"`
	MeanFen    int64    `json:"trimmed_mean_fen"`
	Score      float64  `json:"score"`
}

// DIPCatalogue is a versioned catalogue built from a period of settlements.
type DIPCatalogue struct {
	Format      string     `json:"format"` // "dip-catalogue"
	Version     string     `json:"version"`
	Name        string     `json:"name"`
	Period      string     `json:"period"`
	MinCases    int        `json:"min_cases"`
	Cases       int        `json:"cases"`
	OverallMean int64      `json:"overall_trimmed_mean_fen"`
	Trimming    string     `json:"trimming"`
	Groups      []DIPGroup `json:"groups"`

	index map[string]*DIPGroup
}

// DxCategory is the 4-character diagnosis category (K35.800x001 → K35.8, I10.x05 → I10.x).
func DxCategory(code string) string {
	if len(code) >= 5 && code[3] == '.' {
		return code[:5]
	}
	if len(code) >= 3 {
		return code[:3]
	}
	return code
}

// TreatmentClass classifies a procedure set by ICD-9-CM-3 chapter: 00–86 operations
// (surgical), 87–91 diagnostic imaging and tests (diagnostic), 92–99 other non-operative
// procedures (therapeutic). The highest class present wins.
func TreatmentClass(procs []string) string {
	class := TreatConservative
	rank := map[string]int{TreatConservative: 0, TreatDiagnostic: 1, TreatTherapeutic: 2, TreatSurgical: 3}
	for _, p := range procs {
		if len(p) < 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' {
			continue
		}
		ch := int(p[0]-'0')*10 + int(p[1]-'0')
		c := TreatTherapeutic
		switch {
		case ch <= 86:
			c = TreatSurgical
		case ch <= 91:
			c = TreatDiagnostic
		}
		if rank[c] > rank[class] {
			class = c
		}
	}
	return class
}

func comboKey(procs []string) []string {
	set := slices.Clone(procs)
	sort.Strings(set)
	return slices.Compact(set)
}

func coreCode(cat string, procs []string) string {
	if len(procs) == 0 {
		return cat + ":保守"
	}
	return cat + ":" + strings.Join(procs, "+")
}

func comprehensiveCode(cat, treatment string) string {
	return cat + ":综合-" + treatmentZh[treatment]
}

// TrimmedMean is the documented outlier rule of DIP scores (and of relative weights):
// with 40 or more costs, the mean of those between the 2.5th and 97.5th percentiles; with
// fewer, the mean of those between a third and three times the median. It returns the mean
// in fen (rounded half away from zero) and how many costs it kept.
func TrimmedMean(costs []yibao.Fen) (yibao.Fen, int) {
	if len(costs) == 0 {
		return 0, 0
	}
	c := slices.Clone(costs)
	slices.Sort(c)
	var lo, hi yibao.Fen
	if len(c) >= 40 {
		lo, hi = percentile(c, 0.025), percentile(c, 0.975)
	} else {
		med := percentile(c, 0.5)
		lo, hi = med/3, med*3
	}
	var sum int64
	n := 0
	for _, x := range c {
		if x >= lo && x <= hi {
			sum += int64(x)
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return yibao.Fen(divRound(sum, int64(n))), n
}

// percentile by linear interpolation between closest ranks (sorted input), rounded to the fen.
func percentile(sorted []yibao.Fen, p float64) yibao.Fen {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := p * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + yibao.Fen(math.Round(frac*float64(sorted[i+1]-sorted[i])))
}

// divRound divides rounding half away from zero.
func divRound(a, b int64) int64 {
	q, r := a/b, a%b
	if 2*abs64(r) >= abs64(b) {
		if (a < 0) != (b < 0) {
			q--
		} else {
			q++
		}
	}
	return q
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// BuildDIPCatalogue builds a catalogue from cases. Cases without a principal diagnosis are
// skipped and counted in the second result.
func BuildDIPCatalogue(name, version, period string, cases []DIPCase, minCases int) (*DIPCatalogue, int, error) {
	if minCases < 1 {
		return nil, 0, fmt.Errorf("min_cases must be at least 1, got %d", minCases)
	}
	type bucket struct {
		cat, treatment string
		procs          []string
		costs          []yibao.Fen
	}
	core := map[string]*bucket{}
	var all []yibao.Fen
	skipped := 0
	for _, c := range cases {
		if c.Principal == "" {
			skipped++
			continue
		}
		cat := DxCategory(c.Principal)
		procs := comboKey(c.Procedures)
		k := coreCode(cat, procs)
		b := core[k]
		if b == nil {
			b = &bucket{cat: cat, procs: procs, treatment: TreatmentClass(procs)}
			core[k] = b
		}
		b.costs = append(b.costs, c.Cost)
		all = append(all, c.Cost)
	}
	if len(all) == 0 {
		return nil, skipped, fmt.Errorf("no cases with a principal diagnosis to build from")
	}
	overall, _ := TrimmedMean(all)
	if overall <= 0 {
		return nil, skipped, fmt.Errorf("overall trimmed mean cost is %s; costs must be positive", overall)
	}
	cat := &DIPCatalogue{Format: "dip-catalogue", Version: version, Name: name, Period: period, MinCases: minCases,
		Cases: len(all), OverallMean: int64(overall),
		Trimming: "per group: ≥40 cases → costs within the 2.5th–97.5th percentiles; fewer → within 1/3–3× the median"}
	comp := map[string]*bucket{}
	keys := make([]string, 0, len(core))
	for k := range core {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	add := func(code, kind string, b *bucket) {
		mean, kept := TrimmedMean(b.costs)
		cat.Groups = append(cat.Groups, DIPGroup{Code: code, Kind: kind, Category: b.cat, Treatment: b.treatment,
			Procedures: b.procs, Cases: len(b.costs), Trimmed: kept, MeanFen: int64(mean),
			Score: math.Round(float64(mean)/float64(overall)*1000*100) / 100})
	}
	for _, k := range keys {
		b := core[k]
		if len(b.costs) >= minCases {
			add(k, "core", b)
			continue
		}
		ck := comprehensiveCode(b.cat, b.treatment)
		cb := comp[ck]
		if cb == nil {
			cb = &bucket{cat: b.cat, treatment: b.treatment}
			comp[ck] = cb
		}
		cb.costs = append(cb.costs, b.costs...)
	}
	ckeys := make([]string, 0, len(comp))
	for k := range comp {
		ckeys = append(ckeys, k)
	}
	sort.Strings(ckeys)
	for _, k := range ckeys {
		b := comp[k]
		b.procs = nil
		add(k, "comprehensive", b)
	}
	cat.buildIndex()
	return cat, skipped, nil
}

func (c *DIPCatalogue) buildIndex() {
	c.index = make(map[string]*DIPGroup, len(c.Groups))
	for i := range c.Groups {
		c.index[c.Groups[i].Code] = &c.Groups[i]
	}
}

// LoadDIPCatalogue reads a catalogue file.
func LoadDIPCatalogue(path string) (*DIPCatalogue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load DIP catalogue %s: %w", path, err)
	}
	var c DIPCatalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("load DIP catalogue %s: %w", path, err)
	}
	if c.Format != "dip-catalogue" || c.Version == "" {
		return nil, fmt.Errorf("load DIP catalogue %s: format must be \"dip-catalogue\" with a version", path)
	}
	c.buildIndex()
	return &c, nil
}

// DIPAssignment is the DIP group of one case, or why there is none.
type DIPAssignment struct {
	ID        string
	Group     *DIPGroup // nil when unassigned
	ReasonZh  string
	ReasonEn  string
	Catalogue string // version
}

// Assign finds the case's core group, else its comprehensive group.
func (c *DIPCatalogue) Assign(dc DIPCase) DIPAssignment {
	a := DIPAssignment{ID: dc.ID, Catalogue: c.Version}
	if dc.Principal == "" {
		a.ReasonZh, a.ReasonEn = "缺少主要诊断", "no principal diagnosis"
		return a
	}
	cat := DxCategory(dc.Principal)
	procs := comboKey(dc.Procedures)
	if g, ok := c.index[coreCode(cat, procs)]; ok {
		a.Group = g
		return a
	}
	tr := TreatmentClass(procs)
	if g, ok := c.index[comprehensiveCode(cat, tr)]; ok {
		a.Group = g
		return a
	}
	known := false
	for _, g := range c.Groups {
		if g.Category == cat {
			known = true
			break
		}
	}
	if !known {
		a.ReasonZh = fmt.Sprintf("诊断类目 %s 不在病种目录中", cat)
		a.ReasonEn = fmt.Sprintf("diagnosis category %s is not in the catalogue", cat)
	} else {
		a.ReasonZh = fmt.Sprintf("诊断类目 %s 下没有“%s”综合病种", cat, treatmentZh[tr])
		a.ReasonEn = fmt.Sprintf("no comprehensive group for %s treatment under %s", tr, cat)
	}
	return a
}
