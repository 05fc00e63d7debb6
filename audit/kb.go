// Package audit is the smart audit (智能审核): a knowledge base of item restrictions,
// mutually exclusive items, packages and diagnosis evidence, typed rules driven by it,
// custom rules in CEL, and cross-settlement detectors (split admission, overlapping stays,
// frequent admission, bed-hanging, excessive stays). It takes settlements and returns
// findings; reading files, the store and HTTP are the callers' business.
package audit

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao"
)

// Item is a row of items.csv: the restrictions on one national list item.
type Item struct {
	Code, Name     string
	Sex            yibao.Sex // 0 = any
	MinAge, MaxAge int       // -1 = none
	Indications    []string  // ICD-10 prefixes; empty = none
	MinHospLevel   int       // 0 = none
	MaxQtyPerDay   yibao.Dec6
	MaxQtyPerStay  yibao.Dec6
	MaxPrice       yibao.Dec6 // unit price cap; 0 = none
	// AutoDaily marks an item billed automatically every bed-day (bed, nursing level,
	// meals, inpatient consultation): never evidence of active care, whatever its category.
	AutoDaily bool
}

// DxProcedure is a row of dx_procedure.csv: a procedure code prefix and the diagnosis
// prefixes one of which must be present (诊断与手术操作一致性).
type DxProcedure struct {
	ProcPrefix string
	DxPrefixes []string
	Reason     string
}

// Exclusive is a row of exclusive.csv.
type Exclusive struct{ A, B, Scope, Reason string }

// Bundle is a row of bundles.csv.
type Bundle struct{ Package, Component, Reason string }

// Evidence is a row of dx_evidence.csv.
type Evidence struct {
	Prefix     string
	Codes      []string
	Categories []string
	Reason     string
}

// Detectors are the parameters of the cross-settlement and stay-level detectors
// (detectors.json).
type Detectors struct {
	Version              string  `json:"version"`
	SplitAdmissionDays   int     `json:"split_admission_days"`
	FrequentMax          int     `json:"frequent_admission_max"`
	FrequentWindowDays   int     `json:"frequent_admission_window_days"`
	BedHangingIdleShare  float64 `json:"bed_hanging_idle_share"`
	ExcessiveLOSFactor   float64 `json:"excessive_los_factor"`
	ExcessiveLOSCapDays  int     `json:"excessive_los_cap_days"`
	ExcessiveLOSMinGroup int     `json:"excessive_los_min_group"`
	// BedHangingCareCategories are the charge categories whose lines show active care on a
	// day (examination, laboratory, treatment, surgery, drugs by default).
	BedHangingCareCategories []string `json:"bed_hanging_care_categories"`
	// PlannedReadmissionDays is how long after a discharge flagged days_rinp_flag_31 = 2 a
	// readmission counts as the planned one (31, the flag's own definition).
	PlannedReadmissionDays int `json:"planned_readmission_days"`
	// TransferWindowHours: an admission at another hospital within this many hours of a
	// discharge with dscg_way 2 or 3 is the receiving end of a transfer.
	TransferWindowHours int `json:"transfer_window_hours"`
	// DrugShareMax is the drug share of a stay's net charges above which DRG-SHR fires
	// (0 disables); DrugShareMinTotalYuan skips small stays.
	DrugShareMax          float64 `json:"drug_share_max"`
	DrugShareMinTotalYuan float64 `json:"drug_share_min_total_yuan"`
	// DrugShareExemptDx are principal-diagnosis prefixes the drug-share rule skips (e.g.
	// Z51 chemotherapy sessions, whose drugs are the treatment). Default none.
	DrugShareExemptDx []string `json:"drug_share_exempt_dx"`
	// SingleChargeMaxYuan is the net amount of one fee line above which HIGH-001 fires (0 disables).
	SingleChargeMaxYuan float64 `json:"single_charge_max_yuan"`
}

// DefaultDetectors are used for a missing detectors.json and missing members.
func DefaultDetectors() Detectors {
	return Detectors{SplitAdmissionDays: 15, FrequentMax: 6, FrequentWindowDays: 365, BedHangingIdleShare: 0.5,
		ExcessiveLOSFactor: 3, ExcessiveLOSCapDays: 60, ExcessiveLOSMinGroup: 5,
		BedHangingCareCategories: []string{yibao.CatExam, yibao.CatLab, yibao.CatTreatment, yibao.CatSurgery,
			yibao.CatWesternDrug, yibao.CatHerbal, yibao.CatPatentDrug},
		PlannedReadmissionDays: 31, TransferWindowHours: 24, DrugShareMax: 0.6, DrugShareMinTotalYuan: 1000, SingleChargeMaxYuan: 20000}
}

// KB is a loaded knowledge base.
type KB struct {
	Version   string // detectors.json version, else a hash of the files
	Items     map[string]*Item
	Exclusive []Exclusive
	Bundles   []Bundle
	Evidence  []Evidence
	// DxProcedure lists diagnosis–procedure consistency rules (dx_procedure.csv).
	DxProcedure []DxProcedure
	Detectors   Detectors
	Custom      []*CustomRule

	exclByA   map[string][]int
	bundlesBy map[string][]int // component → bundles
	careCats  map[string]bool
	watched   map[string]bool // item codes the exclusive, bundle and evidence rules look for
}

// csvRows reads a CSV with a header and returns rows as maps, naming file and line on error.
func csvRows(path string, required ...string) ([]map[string]string, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: header: %w", path, err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range required {
		if _, ok := idx[c]; !ok {
			return nil, nil, fmt.Errorf("%s: header lacks column %q", path, c)
		}
	}
	var rows []map[string]string
	var lines []int
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		m := map[string]string{}
		for name, i := range idx {
			if i < len(rec) {
				m[name] = strings.TrimSpace(rec[i])
			}
		}
		rows = append(rows, m)
		lines = append(lines, line)
	}
	return rows, lines, nil
}

// LoadKB reads a knowledge-base directory (docs/knowledge-base.md). items.csv is required;
// the other tables and detectors.json / rules.json are optional.
func LoadKB(dir string) (*KB, error) {
	kb := &KB{Items: map[string]*Item{}, Detectors: DefaultDetectors()}
	h := sha256.New()
	path := filepath.Join(dir, "items.csv")
	rows, lines, err := csvRows(path, "code", "sex", "min_age", "max_age", "indications", "min_hosp_level", "max_qty_per_day", "max_qty_per_stay", "max_price")
	if err != nil {
		return nil, fmt.Errorf("knowledge base: %w", err)
	}
	for i, r := range rows {
		bad := func(col, why string) error {
			return fmt.Errorf("knowledge base %s line %d column %s: %s", path, lines[i], col, why)
		}
		it := &Item{Code: r["code"], Name: r["name"], MinAge: -1, MaxAge: -1}
		if it.Code == "" {
			return nil, bad("code", "empty")
		}
		switch r["sex"] {
		case "":
		case "1":
			it.Sex = yibao.Male
		case "2":
			it.Sex = yibao.Female
		default:
			return nil, bad("sex", fmt.Sprintf("%q is not 1, 2 or empty", r["sex"]))
		}
		for _, x := range []struct {
			col string
			dst *int
		}{{"min_age", &it.MinAge}, {"max_age", &it.MaxAge}, {"min_hosp_level", &it.MinHospLevel}} {
			if v := r[x.col]; v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return nil, bad(x.col, fmt.Sprintf("%q is not a non-negative whole number", v))
				}
				*x.dst = n
			}
		}
		if it.MinHospLevel > 3 {
			return nil, bad("min_hosp_level", "must be 1, 2 or 3")
		}
		if it.MinAge >= 0 && it.MaxAge >= 0 && it.MinAge > it.MaxAge {
			return nil, bad("min_age", "is above max_age")
		}
		for _, x := range []struct {
			col string
			dst *yibao.Dec6
		}{{"max_qty_per_day", &it.MaxQtyPerDay}, {"max_qty_per_stay", &it.MaxQtyPerStay}, {"max_price", &it.MaxPrice}} {
			if v := r[x.col]; v != "" {
				d, err := yibao.ParseDec6(v)
				if err != nil || d <= 0 {
					return nil, bad(x.col, fmt.Sprintf("%q is not a positive number", v))
				}
				*x.dst = d
			}
		}
		switch r["auto_daily"] {
		case "", "0":
		case "1":
			it.AutoDaily = true
		default:
			return nil, bad("auto_daily", fmt.Sprintf("%q is not 1, 0 or empty", r["auto_daily"]))
		}
		for _, p := range strings.Split(r["indications"], "|") {
			if p = strings.TrimSpace(p); p != "" {
				it.Indications = append(it.Indications, p)
			}
		}
		if _, dup := kb.Items[it.Code]; dup {
			return nil, bad("code", fmt.Sprintf("%s appears twice", it.Code))
		}
		kb.Items[it.Code] = it
	}
	hashFile(h, path)
	if p := filepath.Join(dir, "exclusive.csv"); exists(p) {
		rows, lines, err := csvRows(p, "code_a", "code_b", "scope")
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		for i, r := range rows {
			if r["scope"] != "day" && r["scope"] != "stay" {
				return nil, fmt.Errorf("knowledge base %s line %d column scope: %q is not day or stay", p, lines[i], r["scope"])
			}
			if r["code_a"] == "" || r["code_b"] == "" {
				return nil, fmt.Errorf("knowledge base %s line %d: code_a and code_b are required", p, lines[i])
			}
			kb.Exclusive = append(kb.Exclusive, Exclusive{A: r["code_a"], B: r["code_b"], Scope: r["scope"], Reason: r["reason"]})
		}
		hashFile(h, p)
	}
	if p := filepath.Join(dir, "bundles.csv"); exists(p) {
		rows, lines, err := csvRows(p, "package_code", "component_code")
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		for i, r := range rows {
			if r["package_code"] == "" || r["component_code"] == "" {
				return nil, fmt.Errorf("knowledge base %s line %d: package_code and component_code are required", p, lines[i])
			}
			kb.Bundles = append(kb.Bundles, Bundle{Package: r["package_code"], Component: r["component_code"], Reason: r["reason"]})
		}
		hashFile(h, p)
	}
	if p := filepath.Join(dir, "dx_evidence.csv"); exists(p) {
		rows, lines, err := csvRows(p, "dx_prefix", "evidence_codes", "evidence_categories")
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		for i, r := range rows {
			e := Evidence{Prefix: r["dx_prefix"], Reason: r["reason"], Codes: splitList(r["evidence_codes"]), Categories: splitList(r["evidence_categories"])}
			if e.Prefix == "" || len(e.Codes)+len(e.Categories) == 0 {
				return nil, fmt.Errorf("knowledge base %s line %d: dx_prefix and at least one evidence code or category are required", p, lines[i])
			}
			kb.Evidence = append(kb.Evidence, e)
		}
		hashFile(h, p)
	}
	if p := filepath.Join(dir, "dx_procedure.csv"); exists(p) {
		rows, lines, err := csvRows(p, "proc_prefix", "dx_prefixes")
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		for i, r := range rows {
			x := DxProcedure{ProcPrefix: r["proc_prefix"], DxPrefixes: splitList(r["dx_prefixes"]), Reason: r["reason"]}
			if x.ProcPrefix == "" || len(x.DxPrefixes) == 0 {
				return nil, fmt.Errorf("knowledge base %s line %d: proc_prefix and at least one of dx_prefixes are required", p, lines[i])
			}
			kb.DxProcedure = append(kb.DxProcedure, x)
		}
		hashFile(h, p)
	}
	if p := filepath.Join(dir, "detectors.json"); exists(p) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &kb.Detectors); err != nil {
			return nil, fmt.Errorf("knowledge base %s: %w", p, err)
		}
		d := kb.Detectors
		if d.SplitAdmissionDays < 0 || d.FrequentMax < 1 || d.FrequentWindowDays < 1 || d.BedHangingIdleShare <= 0 || d.BedHangingIdleShare > 1 ||
			d.ExcessiveLOSFactor <= 1 || d.ExcessiveLOSCapDays < 1 || d.PlannedReadmissionDays < 0 || d.TransferWindowHours < 0 ||
			d.DrugShareMax < 0 || d.DrugShareMax >= 1 || d.DrugShareMinTotalYuan < 0 || d.SingleChargeMaxYuan < 0 {
			return nil, fmt.Errorf("knowledge base %s: detector parameters out of range (%+v)", p, d)
		}
		if d.ExcessiveLOSMinGroup == 0 {
			kb.Detectors.ExcessiveLOSMinGroup = 5
		}
		h.Write(b)
	}
	if p := filepath.Join(dir, "rules.json"); exists(p) {
		rules, err := loadCustomRules(p)
		if err != nil {
			return nil, err
		}
		kb.Custom = rules
		hashFile(h, p)
	}
	kb.Version = kb.Detectors.Version
	if kb.Version == "" {
		kb.Version = "kb-" + hex.EncodeToString(h.Sum(nil))[:12]
	}
	kb.index()
	return kb, nil
}

func (kb *KB) index() {
	kb.exclByA = map[string][]int{}
	for i, x := range kb.Exclusive {
		kb.exclByA[x.A] = append(kb.exclByA[x.A], i)
	}
	kb.bundlesBy = map[string][]int{}
	for i, b := range kb.Bundles {
		kb.bundlesBy[b.Component] = append(kb.bundlesBy[b.Component], i)
	}
	kb.watched = map[string]bool{}
	for _, x := range kb.Exclusive {
		kb.watched[x.A], kb.watched[x.B] = true, true
	}
	for _, b := range kb.Bundles {
		kb.watched[b.Package], kb.watched[b.Component] = true, true
	}
	for _, e := range kb.Evidence {
		for _, c := range e.Codes {
			kb.watched[c] = true
		}
	}
	kb.careCats = map[string]bool{}
	for _, c := range kb.Detectors.BedHangingCareCategories {
		kb.careCats[c] = true
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func hashFile(h io.Writer, p string) {
	if b, err := os.ReadFile(p); err == nil {
		h.Write(b)
	}
}
