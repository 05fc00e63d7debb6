package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
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

// HashPassword hashes a password for storage (bcrypt).
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", errors.New("a password needs at least 8 characters")
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

// limiter refuses logins after 5 failures for the same client and name within 5 minutes.
type limiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

func (l *limiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keep []time.Time
	for _, t := range l.failures[key] {
		if now.Sub(t) < 5*time.Minute {
			keep = append(keep, t)
		}
	}
	l.failures[key] = keep
	return len(keep) >= 5
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[key] = append(l.failures[key], now)
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
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

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		apiError(w, http.StatusMethodNotAllowed, "请使用 POST", "use POST")
		return
	}
	var in struct{ Username, Password string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	key := host + "|" + in.Username
	now := time.Now()
	if s.limit.blocked(key, now) {
		apiError(w, http.StatusTooManyRequests, "登录失败次数过多，请 5 分钟后再试", "too many failed logins; try again in 5 minutes")
		return
	}
	u, err := s.cockpit.UserByName(r.Context(), in.Username)
	if err != nil || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(in.Password)) != nil {
		s.limit.fail(key, now)
		apiError(w, http.StatusUnauthorized, "用户名或密码错误", "wrong username or password")
		return
	}
	s.limit.reset(key)
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
			apiError(w, http.StatusUnauthorized, "请先登录", "not logged in")
			return
		}
		u, csrf, err := s.cockpit.SessionUser(r.Context(), tokenHash(c.Value))
		if err != nil {
			apiError(w, http.StatusUnauthorized, "会话已失效，请重新登录", "session expired")
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
