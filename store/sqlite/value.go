package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yibao-dev/yibao"
)

// PutContracts stores family-doctor contracts, replacing team and end of a contract already
// known by person, institution and start.
func (s *Store) PutContracts(ctx context.Context, cs []yibao.Contract) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO contracts (person, institution, team, start_date, end_date) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (person, institution, start_date) DO UPDATE SET team = excluded.team, end_date = excluded.end_date`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, c := range cs {
		end := ""
		if !c.End.IsZero() {
			end = c.End.Format(time.DateOnly)
		}
		if _, err := stmt.ExecContext(ctx, c.Person, c.Institution, c.Team, c.Start.Format(time.DateOnly), end); err != nil {
			return fmt.Errorf("contract of %s at %s: %w", c.Institution, c.Start.Format(time.DateOnly), err)
		}
	}
	return tx.Commit()
}

// Contracts returns every contract, by person and start.
func (s *Store) Contracts(ctx context.Context) ([]yibao.Contract, error) {
	type row struct{ person, inst, team, start, end string }
	q, qerr := s.db.QueryContext(ctx, `SELECT person, institution, team, start_date, end_date FROM contracts ORDER BY person, start_date`)
	rows, err := collectRows(q, qerr, func(r *row) []any { return []any{&r.person, &r.inst, &r.team, &r.start, &r.end} })
	if err != nil {
		return nil, err
	}
	out := make([]yibao.Contract, len(rows))
	for i, r := range rows {
		c := yibao.Contract{Person: r.person, Institution: r.inst, Team: r.team}
		if c.Start, err = time.Parse(time.DateOnly, r.start); err != nil {
			return nil, fmt.Errorf("contract row %d: start %q: %w", i+1, r.start, err)
		}
		if r.end != "" {
			if c.End, err = time.Parse(time.DateOnly, r.end); err != nil {
				return nil, fmt.Errorf("contract row %d: end %q: %w", i+1, r.end, err)
			}
		}
		out[i] = c
	}
	return out, nil
}

// ValueGap is one stored care gap.
type ValueGap struct {
	Institution string `json:"institution"`
	Team        string `json:"team"`
	Measure     string `json:"measure"`
	Person      string `json:"person"`
	Status      string `json:"status"`
	Count       int    `json:"count"`
	Day         string `json:"date"`
	Value       string `json:"value"`
	SetlID      string `json:"setl_id"`
}

// PutValueRun stores a value settlement run with its care gaps.
func (s *Store) PutValueRun(ctx context.Context, period, version, policy string, measures, settlement any, gaps []ValueGap) (int64, error) {
	mj, err := json.Marshal(measures)
	if err != nil {
		return 0, err
	}
	sj, err := json.Marshal(settlement)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO value_runs (period, version, policy, measures, settlement, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		period, version, policy, string(mj), string(sj), time.Now().Unix())
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO value_gaps (run_id, institution, team, measure, person, status, count, day, value, setl_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	for _, g := range gaps {
		if _, err := stmt.ExecContext(ctx, id, g.Institution, g.Team, g.Measure, g.Person, g.Status, g.Count, g.Day, g.Value, g.SetlID); err != nil {
			return 0, err
		}
	}
	return id, tx.Commit()
}

// ValueRun is a stored value settlement run.
type ValueRun struct {
	ID         int64           `json:"id"`
	Period     string          `json:"period"`
	Version    string          `json:"version"`
	Policy     string          `json:"policy"`
	Measures   json.RawMessage `json:"measures"`
	Settlement json.RawMessage `json:"settlement"`
	CreatedAt  time.Time       `json:"created_at"`
}

// LatestValueRun returns the newest run, of the period when one is given; ok is false when
// there is none.
func (s *Store) LatestValueRun(ctx context.Context, period string) (ValueRun, bool, error) {
	var r ValueRun
	var m, st string
	var created int64
	q := `SELECT id, period, version, policy, measures, settlement, created_at FROM value_runs`
	args := []any{}
	if period != "" {
		q += ` WHERE period = ?`
		args = append(args, period)
	}
	err := s.db.QueryRowContext(ctx, q+` ORDER BY id DESC LIMIT 1`, args...).Scan(&r.ID, &r.Period, &r.Version, &r.Policy, &m, &st, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return ValueRun{}, false, nil
	}
	if err != nil {
		return ValueRun{}, false, err
	}
	r.Measures, r.Settlement, r.CreatedAt = json.RawMessage(m), json.RawMessage(st), time.Unix(created, 0).UTC()
	return r, true, nil
}

// ValueGaps returns a run's care gaps, filtered by institution and measure when given, at
// most limit rows after offset, with the total.
func (s *Store) ValueGaps(ctx context.Context, run int64, institution, measure string, offset, limit int) ([]ValueGap, int, error) {
	where := `run_id = ?`
	args := []any{run}
	if institution != "" {
		where += ` AND institution = ?`
		args = append(args, institution)
	}
	if measure != "" {
		where += ` AND measure = ?`
		args = append(args, measure)
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM value_gaps WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q, qerr := s.db.QueryContext(ctx, `SELECT institution, team, measure, person, status, count, day, value, setl_id
		FROM value_gaps WHERE `+where+` ORDER BY institution, measure, team, person LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	gaps, err := collectRows(q, qerr, func(g *ValueGap) []any {
		return []any{&g.Institution, &g.Team, &g.Measure, &g.Person, &g.Status, &g.Count, &g.Day, &g.Value, &g.SetlID}
	})
	return gaps, total, err
}
