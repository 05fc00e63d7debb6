package payment

import (
	"testing"
)

// Policy, scenario and coefficient documents come from users' files: any bytes must give a
// policy that validates or an error, never a panic.
func FuzzParsePolicy(f *testing.F) {
	b, _ := policyFiles.ReadFile("policies/default.json")
	f.Add(b)
	b, _ = policyFiles.ReadFile("policies/example-rate.json")
	f.Add(b)
	f.Add([]byte(`{"format":"drg-payment-policy","version":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := ParsePolicy(b); err == nil {
			if p.Validate() != nil {
				t.Fatal("parsed policy does not validate")
			}
			_ = p.threshold(RatioOne)
		}
		ParseScenario(b)
		ParseCoefficientOverlay(b)
	})
}
