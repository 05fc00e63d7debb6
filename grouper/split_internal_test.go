package grouper

import (
	"slices"
	"testing"
)

// FuzzSplitCodes: the one-byte fast path splits exactly as the general separator loop.
func FuzzSplitCodes(f *testing.F) {
	f.Add("K35.800x001|I10.x00", true)
	f.Add("|a||b,", false)
	f.Add("", true)
	f.Fuzz(func(t *testing.T, field string, keep bool) {
		s := &Scheme{separators: []string{"|", ","}, keepEmpty: keep}
		s.initSplit()
		if s.sepBytes == nil {
			t.Fatal("no fast path for one-byte separators")
		}
		if field == "" { // SplitCodes returns nil before either path
			return
		}
		a, b := s.splitBytes(field), s.splitGeneral(field)
		if !slices.Equal(a, b) || (a == nil) != (b == nil) {
			t.Fatalf("%q: fast %q, general %q", field, a, b)
		}
	})
}
