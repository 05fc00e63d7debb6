package web

import "testing"

// The period parameter is hostile input: no string panics, and what is accepted is a span
// of one to 24 months.
func FuzzEvalPeriod(f *testing.F) {
	for _, s := range []string{"2025", "2025-01:2025-12", "2025-12:2025-01", "2024-01:2026-01", "x", ":", "2025-1:2025-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, from, to, err := evalPeriod(s)
		if err != nil {
			return
		}
		if !to.After(from) || to.After(from.AddDate(2, 0, 0)) {
			t.Fatalf("%q accepted as %v – %v", s, from, to)
		}
	})
}

func TestEvalPeriod(t *testing.T) {
	for s, ok := range map[string]bool{"2025": true, "2025-01:2025-12": true, "2024-01:2025-12": true, "2024-01:2026-01": false, "2025-12:2025-01": false, "25": false} {
		if _, _, _, err := evalPeriod(s); (err == nil) != ok {
			t.Errorf("%q: %v", s, err)
		}
	}
}
