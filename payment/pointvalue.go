package payment

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao"
)

// Points is a number of points (点数 for DRG, 分值 for DIP) with four decimals, kept as an
// integer of ten-thousandths so that sums over a region are exact. Case points are rounded
// half away from zero to four decimals (docs/payment.md, "Points and rounding").
type Points int64

// PointsScale is the number of Points units in one point.
const PointsScale = 10000

// PointsOf rounds f to four decimals, half away from zero.
func PointsOf(f float64) Points { return Points(math.Round(f * PointsScale)) }

// Float is the number of points as a float, for display and ratios.
func (p Points) Float() float64 { return float64(p) / PointsScale }

func (p Points) String() string { return strconv.FormatFloat(p.Float(), 'f', 4, 64) }

// MarshalJSON writes the points as a decimal number with four decimals.
func (p Points) MarshalJSON() ([]byte, error) { return []byte(p.String()), nil }

// PointAccount is what one hospital brings to a point-value settlement: the points its
// cases earned, what its patients actually paid on those cases (taken from the settlement
// documents, never recomputed) and the deductions for confirmed findings.
type PointAccount struct {
	Hospital    string
	Cases       int
	Points      Points
	PatientPaid yibao.Fen
	Deduction   yibao.Fen
}

// HospitalPoints is one hospital's share of a point-value settlement.
type HospitalPoints struct {
	Hospital    string    `json:"hospital"`
	Cases       int       `json:"cases"`
	Points      Points    `json:"points"`
	Amount      yibao.Fen `json:"amount_fen"`       // A_h = points × point value, remainders distributed
	PatientPaid yibao.Fen `json:"patient_paid_fen"` // P_h
	Deduction   yibao.Fen `json:"deduction_fen"`    // D_h
	FundPaid    yibao.Fen `json:"fund_paid_fen"`    // F_h = A_h − P_h − D_h
}

// PointSettlement is the result of the floating point value method: PV = (B + P) / T.
type PointSettlement struct {
	Budget      yibao.Fen        `json:"budget_fen"`       // B, the pooled fund's budget
	PatientPaid yibao.Fen        `json:"patient_paid_fen"` // P, Σ P_h
	TotalPoints Points           `json:"total_points"`     // T
	Hospitals   []HospitalPoints `json:"hospitals"`        // by hospital code
}

// Total is B + P, the sum that the hospitals' amounts add up to exactly.
func (s *PointSettlement) Total() yibao.Fen { return s.Budget + s.PatientPaid }

// PointValue is (B + P) / T in yuan per point, exactly as a rational number.
func (s *PointSettlement) PointValue() *big.Rat {
	if s.TotalPoints == 0 {
		return new(big.Rat)
	}
	// fen / (units / scale) / 100 fen per yuan
	return new(big.Rat).SetFrac(
		new(big.Int).Mul(big.NewInt(int64(s.Total())), big.NewInt(PointsScale)),
		new(big.Int).Mul(big.NewInt(int64(s.TotalPoints)), big.NewInt(100)))
}

// PointValueString formats the point value in yuan per point with the given decimals
// (rounded half away from zero, for display; amounts are computed from the exact ratio).
func (s *PointSettlement) PointValueString(decimals int) string {
	return s.PointValue().FloatString(decimals)
}

// SettlePoints distributes B + P over the hospitals in proportion to their points, each
// amount rounded down to the fen and the remaining fen given one each to the largest
// remainders (ties to the smaller hospital code), so that Σ A_h = B + P exactly. Fund
// payment F_h = A_h − P_h − D_h may be negative (the hospital owes the fund).
func SettlePoints(accounts []PointAccount, budget yibao.Fen) (PointSettlement, error) {
	if budget < 0 {
		return PointSettlement{}, fmt.Errorf("budget %s yuan: must not be negative", budget)
	}
	out := PointSettlement{Budget: budget}
	weights := make([]int64, len(accounts))
	seen := make(map[string]bool, len(accounts))
	for i, a := range accounts {
		if a.Points < 0 {
			return PointSettlement{}, fmt.Errorf("hospital %q: negative points %s", a.Hospital, a.Points)
		}
		if seen[a.Hospital] {
			return PointSettlement{}, fmt.Errorf("hospital %q: listed twice", a.Hospital)
		}
		seen[a.Hospital] = true
		out.PatientPaid += a.PatientPaid
		out.TotalPoints += a.Points
		weights[i] = int64(a.Points)
	}
	if out.TotalPoints == 0 && len(accounts) > 0 {
		return PointSettlement{}, errors.New("no case earned points: the point value is undefined")
	}
	keys := make([]string, len(accounts))
	for i, a := range accounts {
		keys[i] = a.Hospital
	}
	amounts, err := Apportion(out.Total(), weights, keys)
	if err != nil {
		return PointSettlement{}, err
	}
	out.Hospitals = make([]HospitalPoints, len(accounts))
	for i, a := range accounts {
		out.Hospitals[i] = HospitalPoints{
			Hospital: a.Hospital, Cases: a.Cases, Points: a.Points, Amount: amounts[i],
			PatientPaid: a.PatientPaid, Deduction: a.Deduction,
			FundPaid: amounts[i] - a.PatientPaid - a.Deduction,
		}
	}
	sort.Slice(out.Hospitals, func(i, j int) bool { return out.Hospitals[i].Hospital < out.Hospitals[j].Hospital })
	return out, nil
}

// Apportion splits total (≥ 0) in proportion to non-negative weights by the largest
// remainder method: each share is ⌊total × w / Σw⌋ fen, and the fen left over go one each
// to the largest remainders, ties broken by key (then by position). The shares add up to
// total exactly. With every weight zero, nothing can be shared and an error is returned
// unless total is zero too.
func Apportion(total yibao.Fen, weights []int64, keys []string) ([]yibao.Fen, error) {
	if total < 0 {
		return nil, fmt.Errorf("apportion: negative total %s", total)
	}
	var sum uint64
	for _, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("apportion: negative weight %d", w)
		}
		var carry uint64
		sum, carry = bits.Add64(sum, uint64(w), 0)
		if carry != 0 || sum > math.MaxInt64 {
			return nil, errors.New("apportion: weights too large")
		}
	}
	out := make([]yibao.Fen, len(weights))
	if sum == 0 {
		if total != 0 {
			return nil, errors.New("apportion: every weight is zero")
		}
		return out, nil
	}
	rem := make([]uint64, len(weights))
	var given uint64
	for i, w := range weights {
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, sum) // hi < sum because w ≤ sum
		out[i] = yibao.Fen(q)
		rem[i] = r
		given += q
	}
	left := uint64(total) - given // < len(weights)
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	// A total order (remainder, key, position), so an unstable sort gives one answer.
	slices.SortFunc(order, func(i, j int) int {
		if rem[i] != rem[j] {
			if rem[i] > rem[j] {
				return -1
			}
			return 1
		}
		if keys != nil && keys[i] != keys[j] {
			return strings.Compare(keys[i], keys[j])
		}
		return i - j
	})
	for k := uint64(0); k < left; k++ {
		out[order[k]]++
	}
	return out, nil
}

// Prepayment is one month's advance to a hospital: Advance = round(expected fund payment ×
// prepayment share) is paid out; Withheld = round(expected × deposit share) is the quality
// deposit (质量保证金) kept back from the year-end clearing (docs/payment.md).
type Prepayment struct {
	Expected yibao.Fen `json:"expected_fen"`
	Advance  yibao.Fen `json:"advance_fen"`
	Withheld yibao.Fen `json:"withheld_fen"`
}

// Prepay computes a month's advance and deposit from the month's expected fund payment.
// A negative expectation prepays nothing.
func Prepay(expected yibao.Fen, share, deposit Ratio) Prepayment {
	if expected <= 0 {
		return Prepayment{Expected: expected}
	}
	return Prepayment{
		Expected: expected,
		Advance:  yibao.Fen(mulDiv(int64(expected), int64(share), int64(RatioOne))),
		Withheld: yibao.Fen(mulDiv(int64(expected), int64(deposit), int64(RatioOne))),
	}
}

// Clearing is a hospital's year-end clearing (年终清算):
//
//	Due = F_h − prepaid − withheld + returned,   returned = round(withheld × return share)
//
// where the return share follows the hospital's evaluation grade. Due < 0: the hospital
// pays back.
type Clearing struct {
	FundPaid yibao.Fen `json:"fund_paid_fen"`
	Prepaid  yibao.Fen `json:"prepaid_fen"`
	Withheld yibao.Fen `json:"withheld_fen"`
	Returned yibao.Fen `json:"deposit_returned_fen"`
	Due      yibao.Fen `json:"due_fen"`
}

// Clear computes the year-end clearing from the fund payment, the advances paid, the
// deposit withheld and the share of the deposit the grade returns.
func Clear(fundPaid, prepaid, withheld yibao.Fen, returnShare Ratio) Clearing {
	returned := yibao.Fen(mulDiv(int64(withheld), int64(returnShare), int64(RatioOne)))
	return Clearing{
		FundPaid: fundPaid, Prepaid: prepaid, Withheld: withheld, Returned: returned,
		Due: fundPaid - prepaid - withheld + returned,
	}
}
