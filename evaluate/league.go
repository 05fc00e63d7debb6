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

// League ranks units by their composite score (the score their grade and rank come from);
// the top share is flagged for reward, the bottom share
// warned (each at least one unit once there are ten or more).
func League(results []Result, cases map[string]int, top, bottom float64) []LeagueEntry {
	out := make([]LeagueEntry, len(results))
	for i, r := range results {
		out[i] = LeagueEntry{Unit: r.Hospital, Cases: cases[r.Hospital], Score: r.Score, Closeness: r.Closeness, Rank: r.Rank}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Score != out[b].Score {
			return out[a].Score > out[b].Score
		}
		return out[a].Unit < out[b].Unit
	})
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
