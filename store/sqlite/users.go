package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// User is a cockpit account.
type User struct {
	ID           int64  `json:"id"`
	Username     string `json:"username"`
	PasswordHash string `json:"-"`
	Role         string `json:"role"`
	Hospital     string `json:"hospital,omitempty"`
	Disabled     bool   `json:"disabled"`
	FailedCount  int    `json:"failed_logins"`
	LockedUntil  int64  `json:"locked_until,omitempty"` // unix seconds; 0 or past: not locked
}

// ErrNotFound is returned for a missing user or session.
var ErrNotFound = errors.New("not found")

// AddUser creates an account.
func (s *Store) AddUser(ctx context.Context, u User, actor string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, hospital, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.Username, u.PasswordHash, u.Role, u.Hospital, time.Now().Unix()); err != nil {
		return err
	}
	if err := logAction(ctx, tx, actor, "user.add", u.Username+" ("+u.Role+")"); err != nil {
		return err
	}
	return tx.Commit()
}

// SetPassword replaces a password hash and ends the user's sessions.
func (s *Store) SetPassword(ctx context.Context, username, hash, actor string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE username = ?`, hash, username)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)`, username); err != nil {
		return err
	}
	if err := logAction(ctx, tx, actor, "user.passwd", username); err != nil {
		return err
	}
	return tx.Commit()
}

// Users lists accounts.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, username, password_hash, role, hospital, disabled, failed_count, locked_until FROM users ORDER BY username`)
	return collectRows(rows, err, func(u *User) []any {
		return []any{&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.Hospital, &u.Disabled, &u.FailedCount, &u.LockedUntil}
	})
}

// UserByName finds an account.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	var u User
	err := s.db.QueryRowContext(ctx, `SELECT id, username, password_hash, role, hospital, disabled, failed_count, locked_until FROM users WHERE username = ?`, name).
		Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.Hospital, &u.Disabled, &u.FailedCount, &u.LockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID int64, csrf string, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES (?, ?, ?, ?)`,
		tokenHash, userID, csrf, expires.Unix())
	return err
}

// SessionUser returns the user and CSRF token of a live session.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (User, string, error) {
	var u User
	var csrf string
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.username, u.password_hash, u.role, u.hospital, s.csrf FROM sessions s
		JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0`, tokenHash, time.Now().Unix()).
		Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.Hospital, &csrf)
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", ErrNotFound
	}
	return u, csrf, err
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// LogAction records a state-changing action.
func (s *Store) LogAction(ctx context.Context, actor, action, detail string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)`, time.Now().Unix(), actor, action, detail)
	return err
}
