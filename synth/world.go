// Package synth writes a deterministic synthetic region: hospitals, an insured population
// with chronic conditions, inpatient stays and outpatient chronic-disease visits whose
// codes, lengths of stay and itemised fees follow clinical pathways (world.json), injected
// irregularities with their ground truth, and the knowledge-base tables that make those
// irregularities detectable. The same seed always gives the same bytes.
package synth

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
)

//go:embed world.json
var worldJSON []byte

// World is the clinical and tariff knowledge the generator draws from: fee items with their
// knowledge-base restrictions, complications with the fee lines that evidence them, and
// one clinical pathway per condition. It is data so that it can be read and changed
// without reading the generator.
type World struct {
	Format        string         `json:"format"`
	FormatVersion string         `json:"format_version"`
	Items         []Item         `json:"items"`
	Complications []Complication `json:"complications"`
	Comorbidities []struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"comorbidities"`
	Conditions []Condition       `json:"conditions"`
	DxNames    map[string]string `json:"dx_names"`
	ProcNames  map[string]string `json:"proc_names"`
	Bundles    []struct {
		Package   string `json:"package_code"`
		Component string `json:"component_code"`
		Reason    string `json:"reason"`
	} `json:"bundles"`
	// TCM maps an MDC (or "default") to the TCM disease and syndrome, [code, name] each,
	// that a TCM hospital records beside the western diagnosis.
	TCM       map[string][2][2]string `json:"tcm"`
	Exclusive []struct {
		A      string `json:"code_a"`
		B      string `json:"code_b"`
		Scope  string `json:"scope"`
		Reason string `json:"reason"`
	} `json:"exclusive"`

	items map[string]*Item
}

// Item is a fee item of the national list with the restrictions of the knowledge base.
type Item struct {
	Code          string  `json:"code"`
	Name          string  `json:"name"`
	Category      string  `json:"category"`
	ListClass     string  `json:"list_class"`
	Price         float64 `json:"price"` // yuan at a level-3 hospital; converted to fen once
	Sex           int     `json:"sex"`
	MinAge        *int    `json:"min_age"`
	MaxAge        *int    `json:"max_age"`
	Indications   string  `json:"indications"`
	MinHospLevel  int     `json:"min_hosp_level"`
	MaxQtyPerDay  int     `json:"max_qty_per_day"`
	MaxQtyPerStay int     `json:"max_qty_per_stay"`
	MaxPrice      float64 `json:"max_price"`
	// AutoDaily marks items billed automatically every bed-day (bed, nursing, inpatient
	// consultation): the knowledge base says they are no evidence of care.
	AutoDaily bool `json:"auto_daily"`

	priceFen int64
}

// Complication is a secondary diagnosis counted as MCC or CC, with the fee lines a genuine
// case of it carries (so that its absence betrays up-coding).
type Complication struct {
	Code     string     `json:"code"`
	Name     string     `json:"name"`
	Kind     string     `json:"kind"` // MCC or CC
	Family   string     `json:"family"`
	Evidence []string   `json:"evidence"`
	Lines    [][]any    `json:"lines"` // [item code, qty per day, days]
	lines    []lineSpec `json:"-"`
}

type lineSpec struct {
	code string
	qty  int
	days int
}

// Condition is one clinical pathway.
type Condition struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	MDC         string   `json:"mdc"`
	ADRG        string   `json:"adrg"` // expected ADRG under the demo scheme
	Dx          []string `json:"dx"`
	Proc        []string `json:"proc"`
	Sex         int      `json:"sex"`
	Age         [3]int   `json:"age"` // min, max, mode
	Weight      float64  `json:"weight"`
	LOS         float64  `json:"los"`
	Dept        string   `json:"dept"`
	MinLevel    int      `json:"min_level"`
	Surgery     string   `json:"surgery_item"`
	Anaesthesia string   `json:"anaesthesia"`
	Drugs       [][]any  `json:"drugs"`
	Once        [][]any  `json:"once"`
	Daily       [][]any  `json:"daily"`
	Consumables [][]any  `json:"consumables"`
	Mortality   float64  `json:"mortality"`
	Chronic     string   `json:"chronic"`
	PMCC        float64  `json:"p_mcc"`
	PCC         float64  `json:"p_cc"`
	Family      string   `json:"family"`
	Planned     int      `json:"planned_cycle"` // days between planned cycles (chemotherapy)
	// Newborn pathways: birth weight range in grams [min, max) when not the usual 2500–4000,
	// and whether the baby is admitted on the day of birth (preterm) rather than in its first days.
	BirthWeight     [2]int `json:"birth_weight"`
	AdmittedAtBirth bool   `json:"admitted_at_birth"`
	Ventilated      bool   `json:"ventilated_stay"` // invasive ventilation for the whole stay

	drugs, once, daily, cons []lineSpec
	// costSigma is the log-scale spread of the stay's intensity, from a coefficient of
	// variation between 0.3 and 0.8 fixed per pathway (costCV).
	costSigma float64
}

// costCV gives each pathway its own coefficient of variation of cost, 0.3–0.8, from a hash
// of its id (FNV-1a) so that it is stable whatever the order of the world file.
func costCV(id string) float64 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return 0.3 + 0.5*float64(h%1000)/999
}

// LoadWorld parses the embedded world.
func LoadWorld() (*World, error) { return ParseWorld(worldJSON) }

// ParseWorld parses a world file and checks that every code it refers to exists.
func ParseWorld(b []byte) (*World, error) {
	var w World
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	w.items = map[string]*Item{}
	for i := range w.Items {
		it := &w.Items[i]
		it.priceFen = int64(it.Price*100 + 0.5)
		w.items[it.Code] = it
	}
	conv := func(where string, raw [][]any, withDays bool) ([]lineSpec, error) {
		out := make([]lineSpec, 0, len(raw))
		for _, r := range raw {
			if len(r) < 2 {
				return nil, fmt.Errorf("world %s: line %v needs code and quantity", where, r)
			}
			code, _ := r[0].(string)
			qty, _ := r[1].(float64)
			if w.items[code] == nil {
				return nil, fmt.Errorf("world %s: unknown item %q", where, code)
			}
			ls := lineSpec{code: code, qty: int(qty), days: 1}
			if withDays && len(r) > 2 {
				d, _ := r[2].(float64)
				ls.days = int(d)
			}
			out = append(out, ls)
		}
		return out, nil
	}
	var err error
	for i := range w.Complications {
		c := &w.Complications[i]
		if c.lines, err = conv("complication "+c.Code, c.Lines, true); err != nil {
			return nil, err
		}
		for _, e := range c.Evidence {
			if w.items[e] == nil {
				return nil, fmt.Errorf("world complication %s: unknown evidence item %q", c.Code, e)
			}
		}
	}
	for i := range w.Conditions {
		c := &w.Conditions[i]
		cv := costCV(c.ID)
		c.costSigma = math.Sqrt(math.Log(1 + cv*cv))
		if c.drugs, err = conv(c.ID+" drugs", c.Drugs, false); err != nil {
			return nil, err
		}
		if c.once, err = conv(c.ID+" once", c.Once, false); err != nil {
			return nil, err
		}
		if c.daily, err = conv(c.ID+" daily", c.Daily, false); err != nil {
			return nil, err
		}
		if c.cons, err = conv(c.ID+" consumables", c.Consumables, false); err != nil {
			return nil, err
		}
		for _, code := range []string{c.Surgery, c.Anaesthesia} {
			if code != "" && w.items[code] == nil {
				return nil, fmt.Errorf("world condition %s: unknown item %q", c.ID, code)
			}
		}
	}
	return &w, nil
}

// Item returns the item with code, or nil.
func (w *World) Item(code string) *Item { return w.items[code] }
