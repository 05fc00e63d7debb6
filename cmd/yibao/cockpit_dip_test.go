package main

import (
	"testing"
)

// The demo's DIP stage reaches the cockpit: /api/dip lists every hospital for the bureau and
// only its own for a hospital user, with deviation cases and comprehensive groups counted, and
// the hospitals' amounts add up to B + P.
func TestCockpitDIP(t *testing.T) {
	f := demoFixture(t)
	hs := cockpitServer(t, f, true)
	admin := login(t, hs, "admin", f.passwords["admin"])
	hosp := login(t, hs, "hospital1", f.passwords["hospital1"])
	type run struct {
		Budget      int64  `json:"budget_fen"`
		PatientPaid int64  `json:"patient_paid_fen"`
		PointValue  string `json:"point_value"`
		Hospitals   []struct {
			Hospital string         `json:"hospital"`
			Kinds    map[string]int `json:"kinds"`
			Routes   map[string]int `json:"routes"`
			Amount   int64          `json:"amount_fen"`
		} `json:"hospitals"`
	}
	var all, own run
	if code := admin.do("GET", "/api/dip", nil, &all); code != 200 || len(all.Hospitals) < 2 || all.PointValue == "" {
		t.Fatalf("admin /api/dip: %d %+v", code, all)
	}
	var sum int64
	kinds, routes := map[string]int{}, map[string]int{}
	for _, h := range all.Hospitals {
		sum += h.Amount
		for k, n := range h.Kinds {
			kinds[k] += n
		}
		for k, n := range h.Routes {
			routes[k] += n
		}
	}
	if sum != all.Budget+all.PatientPaid {
		t.Errorf("Σ amounts %d ≠ B + P %d", sum, all.Budget+all.PatientPaid)
	}
	if kinds["low"]+kinds["high"] == 0 || routes["comprehensive"] == 0 {
		t.Errorf("demo DIP has no deviation cases or no comprehensive groups: %v %v", kinds, routes)
	}
	if code := hosp.do("GET", "/api/dip", nil, &own); code != 200 || len(own.Hospitals) != 1 || own.Hospitals[0].Hospital != f.hospital {
		t.Errorf("hospital user /api/dip: %d %+v", code, own)
	}
	if code := admin.do("GET", "/api/dip?period=1999", nil, nil); code != 404 {
		t.Errorf("unknown period: %d", code)
	}
}
