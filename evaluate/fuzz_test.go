package evaluate

import (
	"testing"
	"time"
)

// A bureau's indicator system or credit policy is a file: no input may panic, and a system
// that parses evaluates any facts without panicking.
func FuzzParseSystem(f *testing.F) {
	f.Add(defaultSystem)
	f.Add(unitSystem)
	f.Add([]byte(`{"version":"x","indicators":[{"id":"a","direction":"band","target":[1,0],"compute":"alos","weight":1}],"min_peer_size":3,"tolerance":5}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSystem(b)
		if err != nil {
			return
		}
		facts := []Facts{mkFacts("A", "3级-general", 100, 1, 1, 1), mkFacts("B", "3级-tcm", 40, 0.8, 1.2, -1), mkFacts("C", "x", 0, 0, 0, -1)}
		rs, err := s.Evaluate(facts)
		if err == nil {
			Link(rs, nil, nil, s.Linkage)
		}
	})
}

func FuzzParseCredit(f *testing.F) {
	f.Add(defaultCredit)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseCredit(b)
		if err != nil {
			return
		}
		p.PersonPoints([]Violation{{Person: "d", SetlID: "s", Category: "upcoding", At: time.Unix(0, 0)}, {Person: "d", SetlID: "t", Category: "zzz"}})
		p.HospitalCredit([]Facts{{Hospital: "H", Cases: 1, FundFen: 1, HasList: true, ListRead: 1}}, nil)
	})
}
