package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// userChange runs one UPDATE or DELETE on a user by name inside a transaction, optionally
// ending the user's sessions, and logs it.
func (s *Store) userChange(ctx context.Context, username, actor, action, detail string, endSessions bool, q string, args ...any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE username = ?`, username).Scan(&id); err == sql.ErrNoRows {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	if endSessions {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, q, append(args, id)...); err != nil {
		return err
	}
	if err := logAction(ctx, tx, actor, action, username+detail); err != nil {
		return err
	}
	return tx.Commit()
}

// SetUserDisabled disables (ending its sessions) or enables an account.
func (s *Store) SetUserDisabled(ctx context.Context, username string, disabled bool, actor string) error {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return s.userChange(ctx, username, actor, action, "", disabled, `UPDATE users SET disabled = ? WHERE id = ?`, disabled)
}

// SetUserRole changes an account's role and hospital and ends its sessions.
func (s *Store) SetUserRole(ctx context.Context, username, role, hospital, actor string) error {
	return s.userChange(ctx, username, actor, "user.role", " → "+role+" "+hospital, true,
		`UPDATE users SET role = ?, hospital = ? WHERE id = ?`, role, hospital)
}

// UnlockUser clears an account's failed logins and lock.
func (s *Store) UnlockUser(ctx context.Context, username, actor string) error {
	return s.userChange(ctx, username, actor, "user.unlock", "", false, `UPDATE users SET failed_count = 0, locked_until = 0 WHERE id = ?`)
}

// DeleteUser removes an account and its sessions; the audit log keeps its name.
func (s *Store) DeleteUser(ctx context.Context, username, actor string) error {
	return s.userChange(ctx, username, actor, "user.delete", "", true, `DELETE FROM users WHERE id = ?`)
}

// LoginFailed counts a failed login and locks the account until lockedUntil(count) (zero:
// not locked); it returns the new count and lock.
func (s *Store) LoginFailed(ctx context.Context, id int64, lockedUntil func(failures int) time.Time) (int, int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_count = failed_count + 1 WHERE id = ? RETURNING failed_count`, id).Scan(&n); err != nil {
		return 0, 0, err
	}
	var until int64
	if t := lockedUntil(n); !t.IsZero() {
		until = t.Unix()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until = ? WHERE id = ?`, until, id); err != nil {
			return 0, 0, err
		}
	}
	return n, until, tx.Commit()
}

// LoginSucceeded clears an account's failed logins.
func (s *Store) LoginSucceeded(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET failed_count = 0, locked_until = 0 WHERE id = ? AND (failed_count != 0 OR locked_until != 0)`, id)
	return err
}
