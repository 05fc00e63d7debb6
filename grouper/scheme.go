// Package grouper assigns cases to DRGs by interpreting a scheme file: the scheme is data
// (docs/scheme-format.md), and no scheme-specific rule lives in this code. It also builds
// and applies DIP catalogues (dip.go). The engine takes and returns values; reading case
// files is the casefile package's job.
package grouper

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// schemeFile mirrors the declarative JSON format ("drg-scheme-declarative" 1.0 and 2.0,
// ../shared/drg/scheme-format-v2.md).
type schemeFile struct {
	Format         string    `json:"format"`
	FormatVersion  string    `json:"format_version"`
	FormatFeatures *[]string `json:"format_features"`
	Scheme         struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Version string `json:"version"`
		TitleZh string `json:"title_zh"`
	} `json:"scheme"`
	Input struct {
		IntegerSyntax  string   `json:"integer_syntax"`
		NumberSyntax   string   `json:"number_syntax"`
		Separators     []string `json:"code_list_separators"`
		KeepEmptyItems bool     `json:"keep_empty_items"`
	} `json:"input"`
	Statuses []struct {
		ID      string `json:"id"`
		LabelZh string `json:"label_zh"`
		LabelEn string `json:"label_en"`
	} `json:"statuses"`
	Results    map[string]resultTemplate `json:"results"`
	Validation []struct {
		ID        string          `json:"id"`
		FailsWhen json.RawMessage `json:"fails_when"`
		Status    string          `json:"status"`
		MessageZh string          `json:"message_zh"`
		MessageEn string          `json:"message_en"`
	} `json:"validation"`
	Grouping struct {
		MDCOrder       []string `json:"mdc_order"`
		MDCWithoutADRG string   `json:"mdc_without_adrg"`
		NoMDCResult    string   `json:"no_mdc_result"`
		ADRGWithoutDRG string   `json:"adrg_without_drg"`
		Regroup        *struct {
			Trigger string `json:"trigger"`
			Retry   string `json:"retry"`
		} `json:"regroup"`
	} `json:"grouping"`
	MDCs []struct {
		Code   string          `json:"code"`
		NameZh string          `json:"name_zh"`
		NameEn string          `json:"name_en"`
		Entry  json.RawMessage `json:"entry"`
		ADRGs  []struct {
			Code   string          `json:"code"`
			NameZh string          `json:"name_zh"`
			Entry  json.RawMessage `json:"entry"`
			DRGs   []struct {
				Code   string          `json:"code"`
				NameZh string          `json:"name_zh"`
				When   json.RawMessage `json:"when"`
			} `json:"drgs"`
		} `json:"adrgs"`
		QY struct {
			Enabled  bool            `json:"enabled"`
			Position int             `json:"position"`
			When     json.RawMessage `json:"when"`
			DRG      string          `json:"drg"`
		} `json:"qy"`
	} `json:"mdcs"`
	Tables struct {
		MCC     map[string]string `json:"mcc"`
		CC      map[string]string `json:"cc"`
		CCE     map[string]string `json:"cce"`
		SSValid []string          `json:"ss_valid"`
	} `json:"tables"`
	Lists      map[string][]string          `json:"lists"`
	TagMaps    map[string]map[string]string `json:"tag_maps"`
	RegionMaps map[string]struct {
		Regions []struct {
			NameZh string `json:"name_zh"`
			NameEn string `json:"name_en"`
		} `json:"regions"`
		Codes map[string]string `json:"codes"`
	} `json:"region_maps"`
}

type resultTemplate struct {
	Status string `json:"status"`
	MDC    string `json:"mdc"`
	ADRG   string `json:"adrg"`
	DRG    string `json:"drg"`
}

// Scheme is a compiled, immutable scheme, safe for concurrent use.
type Scheme struct {
	ID, Name, Version, Title string

	codes map[string]int32 // every code any list or table mentions
	attrs []codeAttrs      // by code id
	lists map[string]*bitset

	intSyntax, numSyntax syntax
	separators           []string
	sepBytes             *[256]bool // set when every separator is one byte (fast split)
	keepEmpty            bool

	statuses              map[string]statusLabel
	results               map[string]resultTemplate
	validation            []validationRule
	mdcs                  []*mdc // in grouping order
	noMDC                 string
	adrgNoDRG             string
	checkFailed, noMDCRes *Result
	regroup               bool // format 2.0 §5: retry a no_mdc case with each secondary procedure alone
	formatVer             string
	features              []string // format_features as declared (2.0)
	regionMap             map[string]*regionMap
	tagMaps               map[string]map[int32]string
	exclNames             []string // exclusion-table id → its name in the scheme, for explanations
	codeNames             []string // code id → code, for diffs and the compiled form

	// Digest is the SHA-256 of the scheme file's bytes (hex): the identity of the exact
	// text a result was grouped with.
	Digest string
}

type statusLabel struct{ zh, en string }

type validationRule struct {
	id, msgZh, msgEn, status string
	cond                     *cond
}

type mdc struct {
	code, nameZh, nameEn string
	entry                *cond
	adrgs                []*adrg
	qyEnabled            bool
	qyPos                int
	qyWhen               *cond
	qyDRG                string
	qyRes                *Result // precomputed results (precompute)
}

type adrg struct {
	code, nameZh string
	entry        *cond
	drgs         []drg
	noDRG        *Result
}

type drg struct {
	code, nameZh string
	when         *cond
	res          *Result
}

// codeAttrs are the table facts about one code, looked up once per case code.
type codeAttrs struct {
	mcc, cc, cce int32 // exclusion-table ids; -1 when absent
	ssValid      bool
}

type regionMap struct {
	names  []string
	region map[int32]int // code id → region index
}

// Load reads and compiles a scheme file.
func Load(path string) (*Scheme, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scheme %s: %w", path, err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("load scheme %s: %w", path, err)
	}
	return s, nil
}

// Parse compiles a scheme from its JSON text.
func Parse(b []byte) (*Scheme, error) {
	var f schemeFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("not a valid scheme JSON: %w", err)
	}
	if f.Format != "drg-scheme-declarative" {
		return nil, fmt.Errorf("format is %q, want \"drg-scheme-declarative\"", f.Format)
	}
	major, _, _ := strings.Cut(f.FormatVersion, ".")
	if major != "1" && major != "2" {
		return nil, fmt.Errorf("format_version %q is not supported: this grouper implements format versions 1.x and 2.x", f.FormatVersion)
	}
	if f.Scheme.ID == "" || f.Scheme.Version == "" {
		return nil, fmt.Errorf("scheme.id and scheme.version are required")
	}
	declared, err := declaredFeatures(major, f.FormatFeatures)
	if err != nil {
		return nil, err
	}
	c := &compiler{f: &f, used: map[string]bool{}, s: &Scheme{
		formatVer: f.FormatVersion,
		ID:        f.Scheme.ID, Name: f.Scheme.Name, Version: f.Scheme.Version, Title: f.Scheme.TitleZh,
		codes: make(map[string]int32, codeHint(&f)), lists: map[string]*bitset{}, statuses: map[string]statusLabel{},
		results: f.Results, regionMap: map[string]*regionMap{}, tagMaps: map[string]map[int32]string{},
		separators: f.Input.Separators, keepEmpty: f.Input.KeepEmptyItems,
		noMDC: f.Grouping.NoMDCResult, adrgNoDRG: f.Grouping.ADRGWithoutDRG,
	}}
	s, err := c.compile()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	s.Digest = hex.EncodeToString(sum[:])
	if err := checkFeatures(major, declared, c.used); err != nil {
		return nil, err
	}
	if f.FormatFeatures != nil {
		s.features = append([]string(nil), *f.FormatFeatures...)
	}
	return s, nil
}

// Features are the format 2.0 constructs this grouper implements (scheme-format-v2.md §1).
func Features() []string {
	return []string{"dept_in", "discharge_in", "icu_hours", "los", "procedure_count", "regroup", "secondary_dx_in", "secondary_proc_in"}
}

func implemented(name string) bool { return slices.Contains(Features(), name) }

// declaredFeatures checks format_features against the version (format 2.0 §2): absent in
// 1.x, required in 2.x, each name known and listed once. Unknown names are refused before
// anything is compiled, so a scheme that needs more than this grouper knows never groups.
func declaredFeatures(major string, ff *[]string) (map[string]bool, error) {
	if major == "1" {
		if ff != nil {
			return nil, fmt.Errorf("format_features is present in a format 1.x scheme; declare format_version \"2.0\" to use format 2.0 features")
		}
		return nil, nil
	}
	if ff == nil {
		return nil, fmt.Errorf("format_version 2.x requires format_features (the list of format 2.0 constructs the scheme uses)")
	}
	out := map[string]bool{}
	var unknown []string
	for _, name := range *ff {
		if out[name] {
			return nil, fmt.Errorf("format_features lists %q twice", name)
		}
		out[name] = true
		if !implemented(name) {
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("format_features names %s, which this grouper does not implement (it implements %s)", strings.Join(unknown, ", "), strings.Join(Features(), ", "))
	}
	return out, nil
}

// checkFeatures compares the constructs the scheme uses with those it declares: a 2.0
// construct in a 1.x scheme, a construct used but not listed, or a feature listed but not
// used are all malformed (format 2.0 §2).
func checkFeatures(major string, declared, used map[string]bool) error {
	var notListed, notUsed []string
	for _, name := range Features() {
		switch {
		case used[name] && !declared[name]:
			notListed = append(notListed, name)
		case declared[name] && !used[name]:
			notUsed = append(notUsed, name)
		}
	}
	if major == "1" && len(notListed) > 0 {
		return fmt.Errorf("the scheme uses %s, which need format_version \"2.0\" (it declares 1.x)", strings.Join(notListed, ", "))
	}
	if len(notListed) > 0 {
		return fmt.Errorf("the scheme uses %s but format_features does not list it", strings.Join(notListed, ", "))
	}
	if len(notUsed) > 0 {
		return fmt.Errorf("format_features lists %s but the scheme does not use it", strings.Join(notUsed, ", "))
	}
	return nil
}

// FormatVersion is the scheme's declared format_version; FormatFeatures its format 2.0
// features (nil for 1.x).
func (s *Scheme) FormatVersion() string    { return s.formatVer }
func (s *Scheme) FormatFeatures() []string { return append([]string(nil), s.features...) }

// codeHint estimates how many distinct codes a scheme mentions, so that the code map is
// sized once: the principal-diagnosis exclusion map and the valid-surgery list cover
// nearly all of them in every kit (growing the map cost a tenth of the compile time).
func codeHint(f *schemeFile) int {
	return len(f.Tables.CCE) + len(f.Tables.SSValid) + len(f.Tables.MCC)/4 + 64
}

type compiler struct {
	f    *schemeFile
	s    *Scheme
	used map[string]bool // format 2.0 features met while compiling
}

func (c *compiler) id(code string) int32 {
	if id, ok := c.s.codes[code]; ok {
		return id
	}
	id := int32(len(c.s.attrs))
	c.s.codes[code] = id
	c.s.attrs = append(c.s.attrs, codeAttrs{mcc: -1, cc: -1, cce: -1})
	c.s.codeNames = append(c.s.codeNames, code)
	return id
}

func (c *compiler) compile() (*Scheme, error) {
	f, s := c.f, c.s
	var err error
	if s.intSyntax, err = newSyntax(f.Input.IntegerSyntax, `^[+-]?[0-9]+$`); err != nil {
		return nil, fmt.Errorf("input.integer_syntax: %w", err)
	}
	if s.numSyntax, err = newSyntax(f.Input.NumberSyntax, `^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$`); err != nil {
		return nil, fmt.Errorf("input.number_syntax: %w", err)
	}
	if len(s.separators) == 0 {
		s.separators = []string{"|"}
	}
	s.initSplit()
	if rg := f.Grouping.Regroup; rg != nil {
		if rg.Trigger != "no_mdc" {
			return nil, fmt.Errorf("grouping.regroup.trigger %q is unknown (format 2.0 knows \"no_mdc\")", rg.Trigger)
		}
		if rg.Retry != "each_secondary_procedure_alone" {
			return nil, fmt.Errorf("grouping.regroup.retry %q is unknown (format 2.0 knows \"each_secondary_procedure_alone\")", rg.Retry)
		}
		s.regroup = true
		c.used["regroup"] = true
	}
	for _, st := range f.Statuses {
		s.statuses[st.ID] = statusLabel{st.LabelZh, st.LabelEn}
	}
	for _, key := range []string{"check_failed", s.noMDC, "drg", s.adrgNoDRG, "qy"} {
		r, ok := s.results[key]
		if !ok {
			return nil, fmt.Errorf("results.%s is missing", key)
		}
		if _, ok := s.statuses[r.Status]; !ok {
			return nil, fmt.Errorf("results.%s names status %q, which statuses does not define", key, r.Status)
		}
	}
	tables := []struct {
		name string
		m    map[string]string
		set  func(a *codeAttrs, v int32)
	}{
		{"mcc", f.Tables.MCC, func(a *codeAttrs, v int32) { a.mcc = v }},
		{"cc", f.Tables.CC, func(a *codeAttrs, v int32) { a.cc = v }},
		{"cce", f.Tables.CCE, func(a *codeAttrs, v int32) { a.cce = v }},
	}
	exclIDs := map[string]int32{}
	for _, t := range tables {
		for code, table := range t.m {
			v, ok := exclIDs[table]
			if !ok {
				v = int32(len(exclIDs))
				exclIDs[table] = v
				s.exclNames = append(s.exclNames, table)
			}
			t.set(&s.attrs[c.id(code)], v)
		}
	}
	for _, code := range f.Tables.SSValid {
		s.attrs[c.id(code)].ssValid = true
	}
	for _, codes := range f.Lists {
		for _, code := range codes {
			c.id(code)
		}
	}
	for name, m := range f.TagMaps {
		tm := make(map[int32]string, len(m))
		for code, tag := range m {
			tm[c.id(code)] = tag
		}
		s.tagMaps[name] = tm
	}
	for name, rm := range f.RegionMaps {
		if len(rm.Regions) > 64 { // multi_trauma keeps the regions seen in one 64-bit word
			return nil, fmt.Errorf("region_maps.%s: %d regions, at most 64 are supported", name, len(rm.Regions))
		}
		r := &regionMap{region: map[int32]int{}}
		idx := map[string]int{}
		for i, reg := range rm.Regions {
			r.names = append(r.names, reg.NameZh)
			idx[reg.NameZh] = i
		}
		for code, reg := range rm.Codes {
			i, ok := idx[reg]
			if !ok {
				return nil, fmt.Errorf("region_maps.%s: code %s names region %q, which is not in its regions", name, code, reg)
			}
			r.region[c.id(code)] = i
		}
		s.regionMap[name] = r
	}
	n := len(s.attrs)
	for name, codes := range f.Lists {
		b := newBitset(n)
		for _, code := range codes {
			b.set(s.codes[code])
		}
		s.lists[name] = b
	}
	for i, v := range f.Validation {
		cnd, err := c.cond(v.FailsWhen, true)
		if err != nil {
			return nil, fmt.Errorf("validation[%d] (%s): %w", i, v.ID, err)
		}
		if _, ok := s.statuses[v.Status]; !ok && v.Status != "" {
			return nil, fmt.Errorf("validation[%d] (%s): unknown status %q", i, v.ID, v.Status)
		}
		s.validation = append(s.validation, validationRule{id: v.ID, msgZh: v.MessageZh, msgEn: v.MessageEn, status: v.Status, cond: cnd})
	}
	byCode := map[string]int{}
	for i, m := range f.MDCs {
		byCode[m.Code] = i
	}
	order := f.Grouping.MDCOrder
	if len(order) == 0 {
		for _, m := range f.MDCs {
			order = append(order, m.Code)
		}
	}
	for _, code := range order {
		i, ok := byCode[code]
		if !ok {
			return nil, fmt.Errorf("grouping.mdc_order names %s, which mdcs does not define", code)
		}
		m := f.MDCs[i]
		cm := &mdc{code: m.Code, nameZh: m.NameZh, nameEn: m.NameEn, qyEnabled: m.QY.Enabled, qyPos: m.QY.Position, qyDRG: m.QY.DRG}
		var err error
		if cm.entry, err = c.cond(m.Entry, false); err != nil {
			return nil, fmt.Errorf("mdc %s entry: %w", m.Code, err)
		}
		if m.QY.Enabled {
			if cm.qyWhen, err = c.cond(m.QY.When, false); err != nil {
				return nil, fmt.Errorf("mdc %s qy: %w", m.Code, err)
			}
		}
		for _, a := range m.ADRGs {
			ca := &adrg{code: a.Code, nameZh: a.NameZh}
			if ca.entry, err = c.cond(a.Entry, false); err != nil {
				return nil, fmt.Errorf("adrg %s entry: %w", a.Code, err)
			}
			for _, d := range a.DRGs {
				w, err := c.cond(d.When, false)
				if err != nil {
					return nil, fmt.Errorf("drg %s when: %w", d.Code, err)
				}
				ca.drgs = append(ca.drgs, drg{code: d.Code, nameZh: d.NameZh, when: w})
			}
			cm.adrgs = append(cm.adrgs, ca)
		}
		s.mdcs = append(s.mdcs, cm)
	}
	s.precompute()
	return s, nil
}

// initSplit prepares the one-byte separator table when every separator is one byte (an
// empty separator never matches, as in the general loop).
func (s *Scheme) initSplit() {
	var t [256]bool
	for _, sep := range s.separators {
		switch len(sep) {
		case 0:
		case 1:
			t[sep[0]] = true
		default:
			return
		}
	}
	s.sepBytes = &t
}

// syntax checks a value against a regular expression; the two syntaxes every scheme in
// use declares get an equivalent hand-written check, which is ten times faster.
type syntax struct {
	re   *regexp.Regexp
	fast func(string) bool
}

func newSyntax(expr, standard string) (syntax, error) {
	if expr == "" {
		expr = standard
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return syntax{}, err
	}
	sx := syntax{re: re}
	switch expr {
	case `^[+-]?[0-9]+$`:
		sx.fast = isInteger
	case `^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$`:
		sx.fast = isDecimal
	}
	return sx, nil
}

func (x syntax) match(s string) bool {
	if x.fast != nil {
		return x.fast(s)
	}
	return x.re.MatchString(s)
}

func isInteger(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	intPart, frac, dot := strings.Cut(s, ".")
	for _, p := range []string{intPart, frac} {
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	if intPart == "" {
		return dot && frac != ""
	}
	return true
}

type bitset []uint64

func newBitset(n int) *bitset { b := make(bitset, (n+63)/64); return &b }
func (b *bitset) set(i int32) { (*b)[i>>6] |= 1 << (uint(i) & 63) }
func (b *bitset) has(i int32) bool {
	return i >= 0 && int(i>>6) < len(*b) && (*b)[i>>6]&(1<<(uint(i)&63)) != 0
}
