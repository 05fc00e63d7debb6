package evaluate

import (
	"encoding/json"
	"testing"
)

// The overlay has exactly the shape the payment engine reads (docs/evaluation.md): a
// procedure-defined technology with a judgement is in; one judged on too few cases, one
// without alternatives and one defined by consumables only are left out with a reason.
func TestCoefficientOverlayShape(t *testing.T) {
	cat := &TechCatalogue{Version: "t", Rules: TechRules{MinCases: 10}, Technologies: []Technology{
		{ID: "lap_appendectomy", NameZh: "腹腔镜阑尾切除术", Procedures: []string{"47.01"}},
		{ID: "lap_cholecystectomy", NameZh: "腹腔镜胆囊切除术", Procedures: []string{"51.23"}},
		{ID: "stent", NameZh: "支架", Consumables: []string{"C1"}},
		{ID: "only", NameZh: "唯一", Procedures: []string{"99.99"}},
	}}
	results := []TechResult{
		{Technology: "lap_appendectomy", DRGs: []string{"GB11"}, Tech: TechStats{Cases: 40}, Alternatives: TechStats{Cases: 40}, Flags: []string{"效率与费用双优"}, Coefficient: 1.1},
		{Technology: "lap_appendectomy", Hospital: "H001", DRGs: []string{"GB11"}, Coefficient: 1.1},
		{Technology: "lap_cholecystectomy", DRGs: []string{"HC13"}, Tech: TechStats{Cases: 3}, Alternatives: TechStats{Cases: 40}, Flags: []string{"病例不足"}, Coefficient: 1},
		{Technology: "stent", DRGs: []string{"FM15"}, Tech: TechStats{Cases: 30}, Alternatives: TechStats{Cases: 30}, Coefficient: 0.95},
		{Technology: "only", DRGs: []string{"ZZ11"}, Tech: TechStats{Cases: 30}, Flags: []string{"病例不足"}, Coefficient: 1},
	}
	techs, skipped := cat.TechnologyOverlay(results)
	ov := CoefficientOverlay{Version: "2025-tech-1", Source: "yibao evaluate technology --period 2025",
		Coefficients: OverlayCoefficients{Hospitals: map[string]float64{"H001": 1.02}, Technologies: techs, Min: 0.8, Max: 1.2}}
	b, _ := json.Marshal(ov)
	want := `{"version":"2025-tech-1","source":"yibao evaluate technology --period 2025","coefficients":{"hospitals":{"H001":1.02},` +
		`"technologies":[{"id":"lap_appendectomy","name":"腹腔镜阑尾切除术","procedures":["47.01"],"drgs":["GB11"],"coefficient":1.1}],"min":0.8,"max":1.2}}`
	if string(b) != want {
		t.Fatalf("overlay\n%s\nwant\n%s", b, want)
	}
	if len(skipped) != 3 {
		t.Fatalf("skipped %v", skipped)
	}
}
