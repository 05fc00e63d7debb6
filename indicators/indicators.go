// Package indicators computes the performance indicators of hospitals (or of the
// departments and doctors of one hospital) from stored stays, by the definitions of the
// national performance assessment (国考) and of DRG performance evaluation (DRG 绩效评价):
// CMI, time and cost consumption indices, low-risk-group mortality, 31-day unplanned
// readmission, audit findings, settlement-list quality and the rest. Every indicator is
// documented in Definitions (definition, numerator, denominator, exclusions, source).
//
// The engine takes plain values through Source and returns values; the store adapter and
// the front ends (cmd, web) do the I/O. Scoring and linkage are package evaluate's.
package indicators

import (
	"context"
	"time"

	"github.com/yibao-dev/yibao"
)

// Source is what the engine needs of the store.
type Source interface {
	// Stays returns the current inpatient stays discharged in [from, to) with their
	// grouping under scheme (summary values only).
	Stays(ctx context.Context, scheme string, from, to time.Time) ([]Stay, error)
	// EachSettlement calls fn for every current inpatient settlement discharged in
	// [from, to); the settlement may be reused between calls.
	EachSettlement(ctx context.Context, from, to time.Time, fn func(*yibao.Settlement) error) error
	// Findings returns the audit findings of settlements discharged in [from, to).
	Findings(ctx context.Context, from, to time.Time) ([]Finding, error)
	// ListCounts returns ingest's per-hospital, per-month counts of settlement records
	// read and rejected for the months overlapping [from, to).
	ListCounts(ctx context.Context, from, to time.Time) ([]ListCount, error)
	// Hospitals is the registry.
	Hospitals(ctx context.Context) ([]yibao.Hospital, error)
}

// Stay is one inpatient settlement as the indicators see it.
type Stay struct {
	SetlID      string
	Hospital    string
	Person      string // pseudonym
	Dept        string
	Doctor      string
	Admission   time.Time
	Discharge   time.Time
	LOS         int
	CostFen     int64  // medfee_sumamt
	FundFen     int64  // hifp_payamt
	Disposition string // dscg_way: 1 advice, 2 transfer, 3 community, 4 against advice, 5 death, 9 other
	Grouped     bool   // assigned a DRG under the scheme
	Failed      bool   // rejected by the grouper's validation (check_failed)
	DRG, ADRG   string
}

// Finding is one audit finding of a stay.
type Finding struct {
	SetlID    string
	Category  string // e.g. upcoding, split_admission
	Status    string // open, confirmed, dismissed
	AmountFen int64
}

// ListCount is ingest's count of settlement-list records of one hospital and discharge
// month (the ingest month when the discharge date could not be read).
type ListCount struct {
	Hospital string
	Month    string // YYYY-MM
	Read     int
	Rejected int
	Reasons  map[string]int // problem code → records rejected for it
}

// Death is the dscg_way of a death in hospital.
const Death = "5"

// Policy holds the city-varying choices of the definitions, with documented defaults
// (docs/evaluation.md).
type Policy struct {
	ReadmitDays       int     `json:"readmit_days"`        // 31 (国考: 出院后 31 天内)
	TransferHours     int     `json:"transfer_hours"`      // 24: a transfer followed by an admission within this is one episode
	OpenFindingWeight float64 `json:"open_finding_weight"` // 0: unreviewed findings do not count
	RiskZ             float64 `json:"risk_z"`              // −1: DRGs with z below it are low-risk
	TechSurgicalShare float64 `json:"tech_surgical_share"` // 0.5: DRGs at least this surgical are technology-dependent
	LookAheadDays     int     `json:"look_ahead_days"`     // 400: stays discharged this long after the period are read for readmissions
}

// DefaultPolicy is the documented default.
func DefaultPolicy() Policy {
	return Policy{ReadmitDays: 31, TransferHours: 24, OpenFindingWeight: 0, RiskZ: -1, TechSurgicalShare: 0.5, LookAheadDays: 400}
}

// Query says what to compute.
type Query struct {
	Scheme   string
	From, To time.Time // discharges in [From, To)
	// Unit is "hospital" (peer group by level and type), "department" or "doctor" (inside
	// Hospital; all units form one group named after the hospital).
	Unit     string
	Hospital string
	// RW gives a DRG's relative weight for the CMI; nil: RW_g = Ā_g / Ā over the period's
	// grouped stays (the reference-table rule of docs/payment.md without cleaning).
	RW     func(drg, adrg string) (float64, bool)
	Policy Policy
	// Trace, when set, records the stays behind one unit's indicators.
	Trace *TraceRequest
}

// TraceRequest asks for the cases behind one unit's numbers.
type TraceRequest struct {
	Unit      string
	Indicator string // "" for all
}

// CaseTrace is one stay's part in an indicator of the traced unit.
type CaseTrace struct {
	Indicator string `json:"indicator"`
	SetlID    string `json:"setl_id"`
	Role      string `json:"role"` // numerator, denominator, excluded
	Note      string `json:"note,omitempty"`
}
