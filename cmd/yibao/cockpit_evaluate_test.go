package main

import (
	"testing"
)

// The cockpit's evaluation API: definitions, a run by the bureau (not by a hospital), the
// cases behind a number (a hospital sees only its own), the stored linkage and the
// technology comparison, all through the same engine as `yibao evaluate`.
func TestCockpitEvaluationAPI(t *testing.T) {
	f := demoFixture(t)
	hs := cockpitServer(t, f, false)
	analyst := login(t, hs, "analyst", f.passwords["analyst"])
	hosp := login(t, hs, "hospital1", f.passwords["hospital1"])

	var defs struct {
		Indicators []struct {
			ID         string `json:"id"`
			Definition struct {
				Numerator, Denominator, Source string
			} `json:"definition"`
		} `json:"indicators"`
	}
	if analyst.do("GET", "/api/evaluate/indicators", nil, &defs) != 200 || len(defs.Indicators) == 0 || defs.Indicators[0].Definition.Source == "" {
		t.Fatalf("definitions %+v", defs)
	}
	if code := hosp.do("POST", "/api/evaluate/runs", map[string]string{"period": "2025"}, nil); code != 403 {
		t.Fatalf("hospital runs an evaluation: %d", code)
	}
	if code := analyst.do("POST", "/api/evaluate/runs", map[string]string{"period": "20x5"}, nil); code != 400 {
		t.Fatalf("bad period: %d", code)
	}
	var run struct {
		Run     int64 `json:"run"`
		Results []struct {
			Hospital   string `json:"hospital"`
			Score      float64
			Indicators []struct {
				ID           string   `json:"id"`
				Value        *float64 `json:"value"`
				Score        *float64 `json:"score"`
				Weight       float64  `json:"weight"`
				Contribution float64  `json:"contribution"`
			} `json:"indicators"`
		} `json:"results"`
		Adjustments []struct {
			Hospital  string  `json:"hospital"`
			CoefAfter float64 `json:"coef_after"`
		} `json:"adjustments"`
	}
	if code := analyst.do("POST", "/api/evaluate/runs", map[string]string{"period": "2025"}, &run); code != 201 || run.Run == 0 || len(run.Results) == 0 {
		t.Fatalf("run: %d %+v", code, run)
	}
	for _, r := range run.Results {
		sum := 0.0
		for _, iv := range r.Indicators {
			if (iv.Value == nil) != (iv.Score == nil) {
				t.Fatalf("%s %s: value and score disagree on no data", r.Hospital, iv.ID)
			}
			sum += iv.Contribution
		}
		if d := sum - r.Score; d > 0.05 || d < -0.05 {
			t.Fatalf("%s: decomposition sums to %.2f, composite %.2f", r.Hospital, sum, r.Score)
		}
	}
	var other string
	for _, r := range run.Results {
		if r.Hospital != f.hospital {
			other = r.Hospital
		}
	}
	var facts struct {
		Total int `json:"total"`
		Cases []struct {
			SetlID string `json:"setl_id"`
			Role   string `json:"role"`
		} `json:"cases"`
		Values []struct {
			ID    string   `json:"id"`
			Value *float64 `json:"value"`
			N     int      `json:"n"`
		} `json:"values"`
	}
	if code := analyst.do("GET", "/api/evaluate/facts?period=2025&hospital="+other+"&indicator=readmission_31", nil, &facts); code != 200 || facts.Total == 0 || len(facts.Cases) == 0 {
		t.Fatalf("facts: %d %+v", code, facts)
	}
	if code := hosp.do("GET", "/api/evaluate/facts?period=2025&hospital="+other, nil, nil); code != 404 {
		t.Fatalf("hospital user sees another hospital's facts: %d", code)
	}
	if code := hosp.do("GET", "/api/evaluate/facts?period=2025&hospital="+f.hospital+"&indicator=cmi", nil, nil); code != 200 {
		t.Fatalf("hospital user's own facts: %d", code)
	}
	var link struct {
		Run         int64 `json:"run"`
		Results     []struct{ Hospital string }
		Adjustments []struct{ Hospital string }
	}
	if code := hosp.do("GET", "/api/evaluate/linkage?period=2025", nil, &link); code != 200 || link.Run != run.Run || len(link.Results) != 1 || link.Results[0].Hospital != f.hospital {
		t.Fatalf("linkage for a hospital: %d %+v", code, link)
	}
	var tech struct {
		Results []struct {
			Technology  string   `json:"technology"`
			Flags       []string `json:"flags"`
			Coefficient float64  `json:"coefficient"`
		} `json:"results"`
	}
	if code := analyst.do("GET", "/api/evaluate/technology?period=2025&technology=lap_appendectomy", nil, &tech); code != 200 || len(tech.Results) == 0 || tech.Results[0].Coefficient == 0 {
		t.Fatalf("technology: %d %+v", code, tech)
	}
	if code := analyst.do("GET", "/api/evaluate/technology?period=2025&technology=nope", nil, nil); code != 404 {
		t.Fatalf("unknown technology: %d", code)
	}
}
