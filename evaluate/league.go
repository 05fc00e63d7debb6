package evaluate

import (
	_ "embed"
	"math"
	"sort"
)

//go:embed units.json
var unitSystem []byte

// UnitSystem is the indicator system for departments and doctors inside one hospital
// (evaluate/units.json): CMI, time and cost indices, readmission and audit findings.
func UnitSystem() (*System, error) { return ParseSystem(unitSystem) }

// LeagueEntry is one department's or doctor's place in its hospital's table.
type LeagueEntry struct {
	Unit      string  `json:"unit"`
	Cases     int     `json:"cases"`
	Score     float64 `json:"score"`
	Closeness float64 `json:"closeness"`
	Rank      int     `json:"rank"`
	Flag      string  `json:"flag"` // reward (奖励) for the top share, warning (预警) for the bottom share
}

// League ranks units by closeness; the top share is flagged for reward, the bottom share
// warned (each at least one unit once there are ten or more).
func League(results []Result, cases map[string]int, top, bottom float64) []LeagueEntry {
	out := make([]LeagueEntry, len(results))
	for i, r := range results {
		out[i] = LeagueEntry{Unit: r.Hospital, Cases: cases[r.Hospital], Score: r.Score, Closeness: r.Closeness, Rank: r.Rank}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Closeness > out[b].Closeness })
	n := len(out)
	t := int(math.Floor(top*float64(n) + 1e-9))
	b := int(math.Floor(bottom*float64(n) + 1e-9))
	if n >= 10 {
		t, b = max(t, 1), max(b, 1)
	}
	for i := range out {
		switch {
		case i < t:
			out[i].Flag = "reward"
		case i >= n-b:
			out[i].Flag = "warning"
		}
	}
	return out
}

// CreditTable is the doctors' points system (信用评价): points deducted per confirmed
// finding by severity, out of an annual allowance, with a warning and a suspension of
// insurance prescribing at thresholds.
type CreditTable struct {
	Definite   int `json:"definite"`
	Suspicious int `json:"suspicious"`
	Annual     int `json:"annual_points"`
	WarningAt  int `json:"warning_at"`
	SuspendAt  int `json:"suspend_at"`
}

// DefaultCredit deducts 2 points per definite and 1 per suspicious confirmed finding out of
// 12 a year; 6 deducted warns, 12 suspends.
func DefaultCredit() CreditTable {
	return CreditTable{Definite: 2, Suspicious: 1, Annual: 12, WarningAt: 6, SuspendAt: 12}
}

// DoctorCredit is one doctor's standing.
type DoctorCredit struct {
	Doctor     string `json:"doctor"`
	Definite   int    `json:"definite_findings"`
	Suspicious int    `json:"suspicious_findings"`
	Deducted   int    `json:"points_deducted"`
	Remaining  int    `json:"points_remaining"`
	Status     string `json:"status"` // normal, warning, suspended
}

// StatusZh names credit statuses in Chinese.
var StatusZh = map[string]string{"normal": "正常", "warning": "预警", "suspended": "暂停医保处方权"}

// Credit scores doctors from their confirmed findings (doctor → [definite, suspicious]).
func (t CreditTable) Credit(findings map[string][2]int) []DoctorCredit {
	var out []DoctorCredit
	for d, c := range findings {
		x := DoctorCredit{Doctor: d, Definite: c[0], Suspicious: c[1], Deducted: c[0]*t.Definite + c[1]*t.Suspicious}
		x.Remaining = max(0, t.Annual-x.Deducted)
		switch {
		case x.Deducted >= t.SuspendAt:
			x.Status = "suspended"
		case x.Deducted >= t.WarningAt:
			x.Status = "warning"
		default:
			x.Status = "normal"
		}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Deducted != out[j].Deducted {
			return out[i].Deducted > out[j].Deducted
		}
		return out[i].Doctor < out[j].Doctor
	})
	return out
}

// HospitalCredit maps a grade to a credit rating: A excellent, B good, C average, D poor.
func HospitalCredit(grade string) string {
	return map[string]string{"excellent": "A", "good": "B", "average": "C", "poor": "D"}[grade]
}
