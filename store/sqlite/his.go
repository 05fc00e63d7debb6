package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// HISCredential is a hospital information system's key for the online audit interfaces.
// Sealed is the shared secret sealed by hisauth; the store never sees it in clear.
type HISCredential struct {
	KeyID      string `json:"key_id"`
	Hospital   string `json:"hospital"`
	Sealed     []byte `json:"-"`
	RatePerMin int    `json:"rate_per_min"`
	CreatedAt  int64  `json:"created_at"`
	CreatedBy  string `json:"created_by"`
	ExpiresAt  int64  `json:"expires_at,omitempty"` // 0: no end
	Note       string `json:"note,omitempty"`
}

// Active reports whether the credential may sign at t.
func (c HISCredential) Active(t time.Time) bool { return c.ExpiresAt == 0 || t.Unix() < c.ExpiresAt }

// AddHISCredential stores a credential and logs who added it.
func (s *Store) AddHISCredential(ctx context.Context, c HISCredential, actor string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO his_credentials (key_id, hospital, sealed, rate_per_min, created_at, created_by, note)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.KeyID, c.Hospital, c.Sealed, c.RatePerMin, time.Now().Unix(), actor, c.Note); err != nil {
		return err
	}
	if err := logAction(ctx, tx, actor, "his.add", c.KeyID+" ("+c.Hospital+")"); err != nil {
		return err
	}
	return tx.Commit()
}

// ExpireHISCredential ends a credential at a time (now for a revocation, later for the
// grace period of a rotation); an earlier end already set is kept.
func (s *Store) ExpireHISCredential(ctx context.Context, keyID string, at time.Time, actor, action string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE his_credentials SET expires_at = min(coalesce(expires_at, ?), ?) WHERE key_id = ?`, at.Unix(), at.Unix(), keyID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := logAction(ctx, tx, actor, action, keyID); err != nil {
		return err
	}
	return tx.Commit()
}

// HISCredential reads one credential.
func (s *Store) HISCredential(ctx context.Context, keyID string) (HISCredential, error) {
	var c HISCredential
	err := s.db.QueryRowContext(ctx, `SELECT key_id, hospital, sealed, rate_per_min, created_at, created_by, coalesce(expires_at, 0), note
		FROM his_credentials WHERE key_id = ?`, keyID).Scan(&c.KeyID, &c.Hospital, &c.Sealed, &c.RatePerMin, &c.CreatedAt, &c.CreatedBy, &c.ExpiresAt, &c.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// HISCredentials lists credentials, newest first.
func (s *Store) HISCredentials(ctx context.Context) ([]HISCredential, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, hospital, rate_per_min, created_at, created_by, coalesce(expires_at, 0), note
		FROM his_credentials ORDER BY created_at DESC, key_id`)
	return collectRows(rows, err, func(c *HISCredential) []any {
		return []any{&c.KeyID, &c.Hospital, &c.RatePerMin, &c.CreatedAt, &c.CreatedBy, &c.ExpiresAt, &c.Note}
	})
}

// HISCall is one call of the online audit interfaces, for the call log.
type HISCall struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	KeyID     string    `json:"key_id"`
	Hospital  string    `json:"hospital"`
	Remote    string    `json:"remote"`
	Infno     string    `json:"infno"`
	MsgID     string    `json:"msgid"`
	Accepted  bool      `json:"accepted"`
	Outcome   string    `json:"outcome"`
	Patients  int       `json:"patients"`
	Results   int       `json:"results"`
	ElapsedMS int64     `json:"elapsed_ms"`
}

// ErrReplay is returned when a credential's msgid was already accepted.
var ErrReplay = errors.New("msgid already used with this credential")

// LogHISCall records a call. An accepted call claims its msgid for the credential: a second
// accepted call with the same msgid returns ErrReplay (and is not recorded as accepted).
func (s *Store) LogHISCall(ctx context.Context, c HISCall) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO his_calls (at, key_id, hospital, remote, infno, msgid, accepted, outcome, patients, results, elapsed_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.At.UnixMilli(), c.KeyID, c.Hospital, c.Remote, c.Infno, c.MsgID, c.Accepted, c.Outcome,
		c.Patients, c.Results, c.ElapsedMS)
	if err != nil {
		if c.Accepted && isUniqueViolation(err) {
			return 0, ErrReplay
		}
		return 0, err
	}
	return res.LastInsertId()
}

// FinishHISCall completes an accepted call's log row with what it returned.
func (s *Store) FinishHISCall(ctx context.Context, id int64, outcome string, patients, results int, elapsed time.Duration) error {
	_, err := s.db.ExecContext(ctx, `UPDATE his_calls SET outcome = ?, patients = ?, results = ?, elapsed_ms = ? WHERE id = ?`,
		outcome, patients, results, elapsed.Milliseconds(), id)
	return err
}

// HISCalls returns the newest calls (at most limit), optionally of one hospital.
func (s *Store) HISCalls(ctx context.Context, hospital string, limit int) ([]HISCall, error) {
	q := `SELECT id, at, key_id, hospital, remote, infno, msgid, accepted, outcome, patients, results, elapsed_ms FROM his_calls`
	var args []any
	if hospital != "" {
		q += ` WHERE hospital = ?`
		args = append(args, hospital)
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HISCall
	for rows.Next() {
		var c HISCall
		var at int64
		if err := rows.Scan(&c.ID, &at, &c.KeyID, &c.Hospital, &c.Remote, &c.Infno, &c.MsgID, &c.Accepted, &c.Outcome, &c.Patients, &c.Results, &c.ElapsedMS); err != nil {
			return nil, err
		}
		c.At = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
