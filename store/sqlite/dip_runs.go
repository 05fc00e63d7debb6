package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DIPRun is a stored DIP settlement.
type DIPRun struct {
	ID          int64            `json:"id"`
	Period      string           `json:"period"`
	Catalogue   string           `json:"catalogue"`
	Policy      string           `json:"policy"`
	Budget      int64            `json:"budget_fen"`
	PatientPaid int64            `json:"patient_paid_fen"`
	TotalPoints int64            `json:"total_points_units"` // ten-thousandths of a point
	PointValue  string           `json:"point_value"`
	Hospitals   []DIPHospitalRun `json:"hospitals"`
	CreatedAt   time.Time        `json:"created_at"`
}

// DIPHospitalRun is one hospital's line of a DIP settlement.
type DIPHospitalRun struct {
	Hospital    string         `json:"hospital"`
	Cases       int            `json:"cases"`
	Kinds       map[string]int `json:"kinds"`  // normal, low, high, special_review
	Routes      map[string]int `json:"routes"` // core, comprehensive, catch-all
	Points      string         `json:"points"`
	Amount      int64          `json:"amount_fen"`
	PatientPaid int64          `json:"patient_paid_fen"`
	Deduction   int64          `json:"deduction_fen"`
	FundPaid    int64          `json:"fund_paid_fen"`
	Prepaid     int64          `json:"prepaid_fen"`
	Withheld    int64          `json:"withheld_fen"`
	Returned    int64          `json:"deposit_returned_fen"`
	Due         int64          `json:"clearing_due_fen"`
	Grade       string         `json:"grade"`
}

// PutDIPRun stores a DIP settlement and returns its id.
func (s *Store) PutDIPRun(ctx context.Context, r DIPRun) (int64, error) {
	b, err := json.Marshal(r.Hospitals)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO dip_runs (period, catalogue, policy, budget, patient_paid, total_points, point_value, results, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Period, r.Catalogue, r.Policy, r.Budget, r.PatientPaid, r.TotalPoints, r.PointValue, string(b), time.Now().Unix())
	if err != nil {
		return 0, fmt.Errorf("store DIP run: %w", err)
	}
	return res.LastInsertId()
}

// ErrNoDIPRun is returned when no DIP settlement is stored.
var ErrNoDIPRun = errors.New("no DIP settlement stored: run yibao dip settle")

// LatestDIPRun returns the newest DIP settlement (of the period, when one is given).
func (s *Store) LatestDIPRun(ctx context.Context, period string) (DIPRun, error) {
	q := `SELECT id, period, catalogue, policy, budget, patient_paid, total_points, point_value, results, created_at FROM dip_runs`
	var args []any
	if period != "" {
		q += ` WHERE period = ?`
		args = append(args, period)
	}
	q += ` ORDER BY id DESC LIMIT 1`
	var r DIPRun
	var results string
	var created int64
	err := s.db.QueryRowContext(ctx, q, args...).Scan(&r.ID, &r.Period, &r.Catalogue, &r.Policy, &r.Budget, &r.PatientPaid, &r.TotalPoints, &r.PointValue, &results, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNoDIPRun
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(results), &r.Hospitals); err != nil {
		return r, fmt.Errorf("DIP run %d: results: %w", r.ID, err)
	}
	r.CreatedAt = time.Unix(created, 0).UTC()
	return r, nil
}
