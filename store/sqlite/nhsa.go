package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Judgement is a stored online-audit result.
type Judgement struct {
	JrID, Infno, MsgID, Hospital, Person, MdtrtID, RuleID, Category string
	Amount                                                          int64
	Evidence                                                        string // in full, for the bureau

}

// PutJudgements records what an online audit returned.
func (s *Store) PutJudgements(ctx context.Context, js []Judgement) error {
	if len(js) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	for _, j := range js {
		if _, err := tx.ExecContext(ctx, `INSERT INTO nhsa_judgements (jr_id, infno, msgid, hospital, person, mdtrt_id, rule_id, category, amount_fen, created_at, evidence)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, j.JrID, j.Infno, j.MsgID, j.Hospital, j.Person, j.MdtrtID, j.RuleID, j.Category, j.Amount, now, j.Evidence); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ErrNoJudgement is returned for feedback on an unknown jr_id.
var ErrNoJudgement = errors.New("no such judgement")

// PutFeedback records a hospital's feedback on one of its own judgements; a judgement of
// another hospital is answered as unknown.
func (s *Store) PutFeedback(ctx context.Context, jrID, hospital, kind, text string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE nhsa_judgements SET feedback_type = ?, feedback_text = ?, feedback_at = ? WHERE jr_id = ? AND hospital = ?`,
		kind, text, time.Now().Unix(), jrID, hospital)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoJudgement
	}
	return nil
}

// Feedback returns the feedback stored for a judgement.
func (s *Store) Feedback(ctx context.Context, jrID string) (kind, text string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT feedback_type, feedback_text FROM nhsa_judgements WHERE jr_id = ?`, jrID).Scan(&kind, &text)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNoJudgement
	}
	return
}

// PersonStays returns the current inpatient stays of a person (by pseudonym) for the
// cross-settlement detectors.
func (s *Store) PersonStays(ctx context.Context, person string) ([]StayRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, setl_id, hospital, coalesce(adm_time, 0), coalesce(dscg_time, 0), principal_dx, los, detail
		FROM settlements WHERE psn = ? AND current = 1 AND inpatient = 1`, person)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StayRow
	for rows.Next() {
		var r StayRow
		var a, d int64
		var detail []byte
		if err := rows.Scan(&r.Row, &r.SetlID, &r.Hospital, &a, &d, &r.Principal, &r.LOS, &detail); err != nil {
			return nil, err
		}
		r.Admission, r.Discharge = time.Unix(a, 0).UTC(), time.Unix(d, 0).UTC()
		r.Planned, r.Disposition = decodedStay(detail)
		out = append(out, r)
	}
	return out, rows.Err()
}

// StayRow is a stored stay for the detectors.
type StayRow struct {
	Row              int64
	SetlID, Hospital string
	Admission        time.Time
	Discharge        time.Time
	Principal        string
	LOS              int
	Planned          bool   // days_rinp_flag_31 = 2 on this stay
	Disposition      string // dscg_way
}
