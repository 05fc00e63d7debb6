package grouper_test

import (
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
)

func TestTrimmedMeanRules(t *testing.T) {
	// Fewer than 40: the 50,000 outlier is more than 3× the median (1,000) and is dropped.
	m, n := grouper.TrimmedMean([]yibao.Fen{900, 1000, 1100, 50000})
	if m != 1000 || n != 3 {
		t.Fatalf("%d %d", m, n)
	}
	if grouper.TreatmentClass([]string{"88.0100", "99.2500"}) != grouper.TreatTherapeutic || grouper.TreatmentClass(nil) != grouper.TreatConservative {
		t.Fatal("treatment classes")
	}
}
