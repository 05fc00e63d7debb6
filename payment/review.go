package payment

import "fmt"

// ReviewQuota is the number of special-review approvals a hospital may have in a period:
// ⌊quota × its DRG cases⌋ (医保办发〔2024〕9号: in principle within 5% of the DRG cases).
func ReviewQuota(cases int, quota Ratio) int {
	return int(mulDivFloor(int64(cases), int64(quota), int64(RatioOne)))
}

// CheckApproval refuses an approval that would exceed the hospital's quota.
func CheckApproval(hospital, period string, approved, cases int, quota Ratio) error {
	q := ReviewQuota(cases, quota)
	if approved+1 > q {
		return fmt.Errorf("hospital %s, period %s: %d approvals already, quota %d (%s of %d DRG cases): approving one more exceeds it",
			hospital, period, approved, q, quota, cases)
	}
	return nil
}
