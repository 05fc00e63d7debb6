package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/forecast"
	"github.com/yibao-dev/yibao/monitor"
)

// PutLedger stores fund-ledger rows in one transaction; a month already stored is replaced.
func (s *Store) PutLedger(ctx context.Context, rows []monitor.LedgerRow, source string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	for _, r := range rows {
		var opening any
		if r.OpeningBalance != nil {
			opening = int64(*r.OpeningBalance)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO fund_ledger (period, insutype, income_fen, other_fen, opening_fen, insured, source, loaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Period.String(), r.InsuType, int64(r.Income), int64(r.OtherExpenditure), opening, r.Insured, source, now); err != nil {
			return fmt.Errorf("fund ledger %s %s: %w", r.Period, r.InsuType, err)
		}
	}
	return tx.Commit()
}

// Ledger returns the stored fund ledger in period order.
func (s *Store) Ledger(ctx context.Context) ([]monitor.LedgerRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT period, insutype, income_fen, other_fen, opening_fen, insured FROM fund_ledger ORDER BY period, insutype`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []monitor.LedgerRow
	for rows.Next() {
		var p, t string
		var inc, other, insured int64
		var opening sql.NullInt64
		if err := rows.Scan(&p, &t, &inc, &other, &opening, &insured); err != nil {
			return nil, err
		}
		m, err := forecast.ParseMonth(p)
		if err != nil {
			return nil, fmt.Errorf("fund_ledger: %w", err)
		}
		r := monitor.LedgerRow{Period: m, InsuType: t, Income: yibao.Fen(inc), OtherExpenditure: yibao.Fen(other), Insured: insured}
		if opening.Valid {
			f := yibao.Fen(opening.Int64)
			r.OpeningBalance = &f
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// monthExpr is a settlement's month: discharge, else admission (a visit without times has none).
const monthExpr = `strftime('%Y-%m', coalesce(s.dscg_time, s.adm_time), 'unixepoch')`

// FundSpending sums pooled-fund payments of current settlements by month, insurance type,
// category (inpatient; chronic = outpatient med_type 14 门慢特; other outpatient) and hospital
// level from the registry.
func (s *Store) FundSpending(ctx context.Context) ([]monitor.SpendRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+monthExpr+` AS m, s.insutype,
		CASE WHEN s.inpatient = 1 THEN 'inpatient' WHEN s.med_type = '14' THEN 'chronic' ELSE 'outpatient' END AS cat,
		coalesce(h.level, 0), sum(s.fund_fen), count(*)
		FROM settlements s LEFT JOIN hospitals h ON h.code = s.hospital
		WHERE s.current = 1 AND m IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []monitor.SpendRow
	for rows.Next() {
		var p, t, cat string
		var lvl int
		var fund, n int64
		if err := rows.Scan(&p, &t, &cat, &lvl, &fund, &n); err != nil {
			return nil, err
		}
		m, err := forecast.ParseMonth(p)
		if err != nil {
			continue
		}
		out = append(out, monitor.SpendRow{Period: m, InsuType: t, Category: cat, Level: lvl, FundFen: yibao.Fen(fund), Cases: n})
	}
	return out, rows.Err()
}

// MonthlySeries returns monthly series of current settlements keyed by what: "total" (one
// series), "insutype", "category", "hospital" or "drg" (with scheme); measure is "fund" (fen),
// "admissions" (inpatient cases) or "cost_per_case" (total fen per inpatient case). A series
// runs from its first month to the last month in the data; months without activity are zero
// (cost_per_case carries the previous month's value instead).
func (s *Store) MonthlySeries(ctx context.Context, by, measure, scheme string) (map[string]forecast.Series, error) {
	var key, join, where string
	switch by {
	case "total":
		key = `'total'`
	case "insutype":
		key = `s.insutype`
	case "category":
		key = `CASE WHEN s.inpatient = 1 THEN 'inpatient' WHEN s.med_type = '14' THEN 'chronic' ELSE 'outpatient' END`
	case "hospital":
		key = `s.hospital`
	case "drg":
		key = `g.drg`
		join = ` JOIN groupings g ON g.settlement_row = s.id AND g.scheme = ? AND g.outcome = 'drg'`
	default:
		return nil, fmt.Errorf("unknown breakdown %q (total, insutype, category, hospital, drg)", by)
	}
	var val string
	switch measure {
	case "fund":
		val = `sum(s.fund_fen)`
	case "admissions":
		val = `sum(s.inpatient)`
		where = ` AND s.inpatient = 1`
	case "cost_per_case":
		val = `CAST(sum(s.total_fen) AS REAL) / count(*)`
		where = ` AND s.inpatient = 1`
	default:
		return nil, fmt.Errorf("unknown measure %q (fund, admissions, cost_per_case)", measure)
	}
	q := `SELECT ` + key + `, ` + monthExpr + ` AS m, ` + val + ` FROM settlements s` + join +
		` WHERE s.current = 1 AND m IS NOT NULL` + where + ` GROUP BY 1, 2 ORDER BY 1, 2`
	var args []any
	if by == "drg" {
		args = append(args, scheme)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type point struct {
		m forecast.Month
		v float64
	}
	pts := map[string][]point{}
	for rows.Next() {
		var k, p string
		var v float64
		if err := rows.Scan(&k, &p, &v); err != nil {
			return nil, err
		}
		m, err := forecast.ParseMonth(p)
		if err != nil {
			continue
		}
		pts[k] = append(pts[k], point{m, v})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Every series runs to the last complete month in the data: a DRG without cases in the
	// latest months had zero admissions then, not missing ones.
	end, err := s.LastCompleteMonth(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]forecast.Series{}
	for k, ps := range pts {
		for len(ps) > 0 && ps[len(ps)-1].m.Index() > end.Index() {
			ps = ps[:len(ps)-1]
		}
		if len(ps) == 0 {
			continue
		}
		first, last := ps[0].m, end
		vals := make([]float64, last.Index()-first.Index()+1)
		have := make([]bool, len(vals))
		for _, p := range ps {
			vals[p.m.Index()-first.Index()] = p.v
			have[p.m.Index()-first.Index()] = true
		}
		if measure == "cost_per_case" {
			for i := 1; i < len(vals); i++ {
				if !have[i] {
					vals[i] = vals[i-1]
				}
			}
		}
		out[k] = forecast.Series{Start: first, Values: vals}
	}
	return out, nil
}

// LastCompleteMonth is the last month of settlements that looks complete: trailing months
// with fewer than half the median monthly settlements of the 12 months before are taken to
// be incomplete (stays discharged after the data was extracted, late submissions) and left
// out of forecasts, where a half-empty last month would read as a collapse.
func (s *Store) LastCompleteMonth(ctx context.Context) (forecast.Month, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+monthExpr+` AS m, count(*) FROM settlements s
		WHERE s.current = 1 AND m IS NOT NULL GROUP BY 1 ORDER BY 1`)
	if err != nil {
		return forecast.Month{}, err
	}
	defer rows.Close()
	var months []forecast.Month
	var counts []int
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return forecast.Month{}, err
		}
		if m, err := forecast.ParseMonth(p); err == nil {
			months = append(months, m)
			counts = append(counts, n)
		}
	}
	if err := rows.Err(); err != nil || len(months) == 0 {
		return forecast.Month{}, err
	}
	end := len(months) - 1
	for end > 0 {
		prev := append([]int(nil), counts[max(0, end-12):end]...)
		sort.Ints(prev)
		if float64(counts[end]) >= 0.5*float64(prev[len(prev)/2]) {
			break
		}
		end--
	}
	return months[end], nil
}

// DRGCaseCosts returns every grouped inpatient case's total cost by DRG and month.
func (s *Store) DRGCaseCosts(ctx context.Context, scheme string) (map[string][]monitor.CaseCost, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT g.drg, `+monthExpr+` AS m, s.total_fen FROM settlements s
		JOIN groupings g ON g.settlement_row = s.id AND g.scheme = ? AND g.outcome = 'drg'
		WHERE s.current = 1 AND m IS NOT NULL`, scheme)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]monitor.CaseCost{}
	for rows.Next() {
		var drg, p string
		var cost int64
		if err := rows.Scan(&drg, &p, &cost); err != nil {
			return nil, err
		}
		m, err := forecast.ParseMonth(p)
		if err != nil {
			continue
		}
		out[drg] = append(out[drg], monitor.CaseCost{Month: m, CostFen: cost})
	}
	return out, rows.Err()
}

// FindingsByMonth counts audit findings by hospital and discharge month (creation month when
// the discharge is unknown).
func (s *Store) FindingsByMonth(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hospital, strftime('%Y-%m', coalesce(discharge_time, created_at), 'unixepoch'), count(*)
		FROM findings WHERE status != 'dismissed' GROUP BY 1, 2`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var h, m string
		var n int
		if err := rows.Scan(&h, &m, &n); err != nil {
			return nil, err
		}
		if out[h] == nil {
			out[h] = map[string]int{}
		}
		out[h][m] = n
	}
	return out, rows.Err()
}

// SaveAlerts merges freshly evaluated alerts into the stored ones (monitor.Merge: a key
// already stored keeps its state) and returns the alerts that are new.
func (s *Store) SaveAlerts(ctx context.Context, fresh []monitor.Alert, now time.Time) ([]monitor.Alert, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var added []monitor.Alert
	for _, a := range fresh {
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET value = ?, message_zh = ?, message_en = ?, last_seen_at = ? WHERE key = ?`,
			a.Value, a.MessageZh, a.MessageEn, now.Unix(), a.Key)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			continue
		}
		a.State, a.CreatedAt, a.LastSeenAt = monitor.StateNew, now, now
		if _, err := tx.ExecContext(ctx, `INSERT INTO alerts (key, rule, severity, scope, subject, hospital, period, value, threshold, message_zh, message_en, state, created_at, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.Key, a.Rule, a.Severity, a.Scope, a.Subject, a.Hospital, a.Period, a.Value, a.Threshold,
			a.MessageZh, a.MessageEn, a.State, now.Unix(), now.Unix()); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_events (key, state, actor, at, note) VALUES (?, 'new', 'monitor', ?, '')`, a.Key, now.Unix()); err != nil {
			return nil, err
		}
		added = append(added, a)
	}
	return added, tx.Commit()
}

// AlertFilter selects alerts: Hospital "" for all (the bureau), State "" for any.
type AlertFilter struct {
	Hospital, State string
	Undelivered     bool
	Limit           int
}

// Alerts lists stored alerts with their history, newest first.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]monitor.Alert, error) {
	q := `SELECT key, rule, severity, scope, subject, hospital, period, value, threshold, message_zh, message_en, state, created_at, last_seen_at FROM alerts WHERE 1 = 1`
	var args []any
	if f.Hospital != "" {
		q += ` AND hospital = ?`
		args = append(args, f.Hospital)
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.Undelivered {
		q += ` AND delivered_at IS NULL`
	}
	q += ` ORDER BY created_at DESC, key`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []monitor.Alert
	idx := map[string]int{}
	for rows.Next() {
		var a monitor.Alert
		var created, seen int64
		if err := rows.Scan(&a.Key, &a.Rule, &a.Severity, &a.Scope, &a.Subject, &a.Hospital, &a.Period, &a.Value, &a.Threshold,
			&a.MessageZh, &a.MessageEn, &a.State, &created, &seen); err != nil {
			rows.Close()
			return nil, err
		}
		a.CreatedAt, a.LastSeenAt = time.Unix(created, 0).UTC(), time.Unix(seen, 0).UTC()
		idx[a.Key] = len(out)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ev, err := s.db.QueryContext(ctx, `SELECT key, state, actor, at, note FROM alert_events WHERE state != 'new' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer ev.Close()
	for ev.Next() {
		var key string
		var e monitor.Event
		var at int64
		if err := ev.Scan(&key, &e.State, &e.By, &at, &e.Note); err != nil {
			return nil, err
		}
		if i, ok := idx[key]; ok {
			e.At = time.Unix(at, 0).UTC()
			out[i].History = append(out[i].History, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, ev.Err()
}

// ErrNoAlert is returned for an unknown key (or one outside the caller's hospital).
var ErrNoAlert = errors.New("no such alert")

// TransitionAlert applies monitor.Transition to a stored alert and records the event. A
// hospital user (hospital != "") may only change its own hospital's alerts.
func (s *Store) TransitionAlert(ctx context.Context, key, hospital, to, by, note string, now time.Time) (monitor.Alert, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return monitor.Alert{}, err
	}
	defer tx.Rollback()
	var a monitor.Alert
	err = tx.QueryRowContext(ctx, `SELECT key, hospital, state FROM alerts WHERE key = ?`, key).Scan(&a.Key, &a.Hospital, &a.State)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && hospital != "" && a.Hospital != hospital) {
		return monitor.Alert{}, ErrNoAlert
	}
	if err != nil {
		return monitor.Alert{}, err
	}
	if err := monitor.Transition(&a, to, by, note, now); err != nil {
		return monitor.Alert{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alerts SET state = ? WHERE key = ?`, a.State, key); err != nil {
		return monitor.Alert{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_events (key, state, actor, at, note) VALUES (?, ?, ?, ?, ?)`, key, to, by, now.Unix(), note); err != nil {
		return monitor.Alert{}, err
	}
	return a, tx.Commit()
}

// MarkDelivered records that alerts reached the webhook.
func (s *Store) MarkDelivered(ctx context.Context, keys []string, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `UPDATE alerts SET delivered_at = ? WHERE key = ?`, now.Unix(), k); err != nil {
			return err
		}
	}
	return tx.Commit()
}
