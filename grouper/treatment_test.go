package grouper_test

import (
	"testing"

	"github.com/yibao-dev/yibao/grouper"
)

// 88 (diagnostic imaging) and 99 (other non-operative) → therapeutic wins; none → conservative.
func TestTreatmentClass(t *testing.T) {
	if grouper.TreatmentClass([]string{"88.0100", "99.2500"}) != grouper.TreatTherapeutic || grouper.TreatmentClass(nil) != grouper.TreatConservative {
		t.Fatal("treatment classes")
	}
	if grouper.TreatmentClass([]string{"47.0100"}) != grouper.TreatSurgical {
		t.Fatal("chapter 47 is an operation")
	}
}
