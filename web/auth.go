package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/yibao-dev/yibao/store/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// Roles.
const (
	RoleAdmin    = "admin"    // bureau administrator
	RoleAnalyst  = "analyst"  // bureau analyst
	RoleHospital = "hospital" // a hospital's insurance office, bound to one hospital
)

// Bureau reports whether a role belongs to the bureau (sees every hospital).
func Bureau(role string) bool { return role == RoleAdmin || role == RoleAnalyst }

const (
	sessionCookie = "yibao_session"
	csrfCookie    = "yibao_csrf"
	sessionTTL    = 12 * time.Hour
	bcryptCost    = 10
)

// HashPassword checks a password against the policy (CheckPassword) and hashes it for
// storage (bcrypt).
func HashPassword(pw, username string) (string, error) {
	if err := CheckPassword(pw, username); err != nil {
		return "", err
	}
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	return string(b), err
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func tokenHash(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// Login throttling (docs/security.md). Failures lock an account for a backoff that starts
// at 30 s after the 5th failure and doubles up to 15 minutes: the right password works
// again when the lock ends (or when an administrator unlocks the account), so nobody can
// lock an account out for ever. Names that are not accounts get the same treatment from
// memory, so that the answers do not tell which names exist; an address that fails 50
// times in 15 minutes waits out the rest of the window. Memory is bounded (lru).
const (
	lockAfter      = 5
	lockFirst      = 30 * time.Second
	lockMax        = 15 * time.Minute
	addrWindow     = 15 * time.Minute
	addrMaxFails   = 50
	limiterMaxKeys = 10000
	// unknownMemory is how long a name that is not an account keeps its failures. An
	// account keeps its count until a successful login; forgetting a name after 15 minutes
	// told them apart (review of issue 10: 5 failures, 16 minutes, one more — an account
	// answered 429 locked, any other name 401). Eviction by 10,000 newer names and a restart
	// still forget a name.
	unknownMemory = 365 * 24 * time.Hour
)

// lockedUntil is when an account with n failures unlocks (zero: not locked).
func lockedUntil(n int, now time.Time) time.Time {
	if n < lockAfter {
		return time.Time{}
	}
	d := lockFirst << min(n-lockAfter, 10)
	return now.Add(min(d, lockMax))
}

type failState struct {
	n     int
	first time.Time
	until time.Time
}

type loginLimiter struct {
	addr    *lru[failState] // per client address
	unknown *lru[failState] // per name that is not an account
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{addr: newLRU[failState](limiterMaxKeys, addrWindow), unknown: newLRU[failState](limiterMaxKeys, unknownMemory)}
}

// addrBlocked reports how long an address must still wait.
func (l *loginLimiter) addrBlocked(addr string, now time.Time) time.Duration {
	st, ok := l.addr.peek(addr, now)
	if !ok || st.n < addrMaxFails || now.Sub(st.first) >= addrWindow {
		return 0
	}
	return st.first.Add(addrWindow).Sub(now)
}

func (l *loginLimiter) addrFailed(addr string, now time.Time) {
	l.addr.update(addr, now, func(st *failState) {
		if st.n == 0 || now.Sub(st.first) >= addrWindow {
			*st = failState{first: now}
		}
		st.n++
	})
}

// unknownFailed counts a failure for a name that is not an account; it returns the lock
// an account would now have.
func (l *loginLimiter) unknownFailed(name string, now time.Time) time.Time {
	var until time.Time
	l.unknown.update(name, now, func(st *failState) {
		st.n++
		st.until = lockedUntil(st.n, now)
		until = st.until
	})
	return until
}

func (l *loginLimiter) unknownLocked(name string, now time.Time) time.Time {
	st, _ := l.unknown.peek(name, now)
	return st.until
}

type ctxKey struct{}

type principal struct {
	sqlite.User
	csrf string
	hash string
}

func userOf(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxKey{}).(*principal)
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, zh, en string) {
	writeJSON(w, status, map[string]string{"error": en, "error_zh": zh})
}

// apiErrorCode is apiError with a machine-readable code the UI can act on.
func apiErrorCode(w http.ResponseWriter, status int, code, zh, en string) {
	writeJSON(w, status, map[string]string{"code": code, "error": en, "error_zh": zh})
}

// refuseLocked answers a locked account (or name) with the time left.
func refuseLocked(w http.ResponseWriter, code string, until, now time.Time) {
	secs := int(until.Sub(now).Seconds()) + 1
	w.Header().Set("Retry-After", fmt.Sprint(secs))
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"code": code, "retry_after": secs,
		"error":    fmt.Sprintf("too many failed logins; try again in %d seconds or ask an administrator to unlock the account", secs),
		"error_zh": fmt.Sprintf("登录失败次数过多，请 %d 秒后再试，或请管理员解锁", secs)})
}

// handleLogin checks a user name and password in constant time whatever the name: one
// bcrypt comparison on every path (a dummy hash for names that are not accounts).
// Answers: 200; 401 wrong_credentials; 429 locked or too_many_attempts with retry_after;
// 403 disabled (only with the right password); 400 bad_request.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		apiError(w, http.StatusMethodNotAllowed, "请使用 POST", "use POST")
		return
	}
	var in struct{ Username, Password string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		apiErrorCode(w, http.StatusBadRequest, "bad_request", "请求格式错误", "malformed request")
		return
	}
	host := s.clientAddr(r)
	now := time.Now()
	if wait := s.limit.addrBlocked(host, now); wait > 0 {
		refuseLocked(w, "too_many_attempts", now.Add(wait), now)
		return
	}
	pw := []byte(in.Password)
	if len(pw) > maxPasswordBytes { // never a stored password: compared for the time only
		pw = pw[:maxPasswordBytes]
	}
	u, err := s.cockpit.UserByName(r.Context(), in.Username)
	exists := err == nil
	name := in.Username // the limiter's key for names that are not accounts, bounded
	if len(name) > 64 {
		name = name[:64]
	}
	if err != nil && !errors.Is(err, sqlite.ErrNotFound) {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	hash := s.dummyHash
	if exists {
		hash = []byte(u.PasswordHash)
	}
	right := bcrypt.CompareHashAndPassword(hash, pw) == nil && exists && len(in.Password) <= maxPasswordBytes
	if !exists {
		if until := s.limit.unknownLocked(name, now); until.After(now) {
			refuseLocked(w, "locked", until, now)
			return
		}
		s.limit.addrFailed(host, now)
		if until := s.limit.unknownFailed(name, now); !until.IsZero() {
			refuseLocked(w, "locked", until, now)
			return
		}
		apiErrorCode(w, http.StatusUnauthorized, "wrong_credentials", "用户名或密码错误", "wrong username or password")
		return
	}
	if locked := time.Unix(u.LockedUntil, 0); u.LockedUntil != 0 && locked.After(now) {
		refuseLocked(w, "locked", locked, now)
		return
	}
	if !right {
		s.limit.addrFailed(host, now)
		_, until, err := s.cockpit.LoginFailed(r.Context(), u.ID, func(n int) time.Time { return lockedUntil(n, now) })
		if err != nil {
			apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
			return
		}
		if until != 0 {
			s.cockpit.LogAction(r.Context(), u.Username, "login.locked", host)
			refuseLocked(w, "locked", time.Unix(until, 0), now)
			return
		}
		apiErrorCode(w, http.StatusUnauthorized, "wrong_credentials", "用户名或密码错误", "wrong username or password")
		return
	}
	if u.Disabled {
		apiErrorCode(w, http.StatusForbidden, "disabled", "账户已停用，请联系管理员", "this account is disabled; ask an administrator")
		return
	}
	if err := s.cockpit.LoginSucceeded(r.Context(), u.ID); err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	token, csrf := randomToken(), randomToken()
	if err := s.cockpit.CreateSession(r.Context(), tokenHash(token), u.ID, csrf, now.Add(sessionTTL)); err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	s.cockpit.LogAction(r.Context(), u.Username, "login", host)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode, Expires: now.Add(sessionTTL)})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", Secure: true, SameSite: http.SameSiteStrictMode, Expires: now.Add(sessionTTL)})
	writeJSON(w, http.StatusOK, map[string]any{"username": u.Username, "role": u.Role, "hospital": u.Hospital, "csrf": csrf})
}

// authed requires a session; state-changing methods also require the CSRF token in the
// X-CSRF-Token header (double submit).
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			apiErrorCode(w, http.StatusUnauthorized, "not_logged_in", "请先登录", "not logged in")
			return
		}
		u, csrf, err := s.cockpit.SessionUser(r.Context(), tokenHash(c.Value))
		if err != nil {
			apiErrorCode(w, http.StatusUnauthorized, "session_expired", "会话已失效，请重新登录", "session expired")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-CSRF-Token")), []byte(csrf)) != 1 {
				apiError(w, http.StatusForbidden, "CSRF 校验失败", "CSRF token missing or wrong")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, &principal{User: u, csrf: csrf, hash: tokenHash(c.Value)})))
	}
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	s.cockpit.DeleteSession(r.Context(), p.hash)
	s.cockpit.LogAction(r.Context(), p.Username, "logout", "")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"username": p.Username, "role": p.Role, "hospital": p.Hospital, "csrf": p.csrf})
}
