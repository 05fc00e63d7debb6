package web

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"time"

	"github.com/yibao-dev/yibao/store/sqlite"
)

// User management for administrators (docs/api.md, "Users"). The same operations as
// `yibao user`; every change is in the audit log with the administrator's name. An
// administrator cannot disable, delete or demote their own account (so that the last one
// is never locked out by a slip).
func (s *Server) userRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /api/users":                  s.handleUsers,
		"POST /api/users":                 s.handleAddUser,
		"POST /api/users/{name}/password": s.handleUserPassword,
		"POST /api/users/{name}/role":     s.handleUserRole,
		"POST /api/users/{name}/disable":  s.handleUserState("disable"),
		"POST /api/users/{name}/enable":   s.handleUserState("enable"),
		"POST /api/users/{name}/unlock":   s.handleUserState("unlock"),
		"DELETE /api/users/{name}":        s.handleUserState("delete"),
	}
}

// adminOnly answers 403 to anyone but an administrator.
func adminOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if userOf(r.Context()).Role != RoleAdmin {
			apiErrorCode(w, http.StatusForbidden, "forbidden", "只有管理员可以管理用户", "only administrators manage users")
			return
		}
		h(w, r)
	}
}

// userView is what the API shows of an account.
type userView struct {
	Username     string `json:"username"`
	Role         string `json:"role"`
	Hospital     string `json:"hospital,omitempty"`
	Disabled     bool   `json:"disabled"`
	FailedLogins int    `json:"failed_logins"`
	LockedUntil  string `json:"locked_until,omitempty"` // RFC 3339, while locked
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.cockpit.Users(r.Context())
	if err != nil {
		s.log.Printf("api users: %v", err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	out := make([]userView, 0, len(us))
	now := time.Now().Unix()
	for _, u := range us {
		v := userView{Username: u.Username, Role: u.Role, Hospital: u.Hospital, Disabled: u.Disabled, FailedLogins: u.FailedCount}
		if u.LockedUntil > now {
			v.LockedUntil = time.Unix(u.LockedUntil, 0).UTC().Format(time.RFC3339)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

type userInput struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Hospital string `json:"hospital"`
	Password string `json:"password"` // empty: one is generated and returned once
}

func decodeUserInput(w http.ResponseWriter, r *http.Request) (userInput, bool) {
	var in userInput
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		apiErrorCode(w, http.StatusBadRequest, "bad_request", "请求格式错误", "malformed request")
		return in, false
	}
	return in, true
}

// checkRole validates a role and its hospital (which must be in the registry).
func (s *Server) checkRole(w http.ResponseWriter, r *http.Request, role, hospital string) (string, bool) {
	switch role {
	case RoleAdmin, RoleAnalyst:
		return "", true
	case RoleHospital:
		hs, err := s.cockpit.Hospitals(r.Context())
		if err == nil {
			for _, h := range hs {
				if h.Code == hospital && h.Registered {
					return hospital, true
				}
			}
		}
		apiErrorCode(w, http.StatusUnprocessableEntity, "bad_hospital", "医院用户须绑定已备案的机构", "a hospital user needs a hospital in the registry")
		return "", false
	}
	apiErrorCode(w, http.StatusUnprocessableEntity, "bad_role", "角色须为 admin、analyst 或 hospital", "role must be admin, analyst or hospital")
	return "", false
}

// newPassword applies the policy to a chosen password, or generates one.
func newPassword(w http.ResponseWriter, pw, username string) (hash, generated string, ok bool) {
	if pw == "" {
		pw = GeneratePassword()
		generated = pw
	}
	h, err := HashPassword(pw, username)
	if err != nil {
		var pp PasswordProblem
		if errors.As(err, &pp) {
			apiErrorCode(w, http.StatusUnprocessableEntity, "weak_password", pp.ZH, pp.EN)
		} else {
			apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		}
		return "", "", false
	}
	return h, generated, true
}

func (s *Server) handleAddUser(w http.ResponseWriter, r *http.Request) {
	in, ok := decodeUserInput(w, r)
	if !ok {
		return
	}
	if !ValidUsername(in.Username) {
		apiErrorCode(w, http.StatusUnprocessableEntity, "bad_username", "用户名须为 1–32 个小写字母、数字或 . _ -", ErrUsername.Error())
		return
	}
	hospital, ok := s.checkRole(w, r, in.Role, in.Hospital)
	if !ok {
		return
	}
	hash, generated, ok := newPassword(w, in.Password, in.Username)
	if !ok {
		return
	}
	actor := userOf(r.Context()).Username
	if err := s.cockpit.AddUser(r.Context(), sqlite.User{Username: in.Username, PasswordHash: hash, Role: in.Role, Hospital: hospital}, actor); err != nil {
		apiErrorCode(w, http.StatusConflict, "exists", "用户名已存在", "a user of that name exists")
		return
	}
	out := map[string]any{"username": in.Username, "role": in.Role, "hospital": hospital}
	if generated != "" {
		out["password"] = generated
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) handleUserPassword(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	in, ok := decodeUserInput(w, r)
	if !ok {
		return
	}
	hash, generated, ok := newPassword(w, in.Password, name)
	if !ok {
		return
	}
	if err := s.cockpit.SetPassword(r.Context(), name, hash, userOf(r.Context()).Username); err != nil {
		s.userError(w, err)
		return
	}
	out := map[string]any{"username": name}
	if generated != "" {
		out["password"] = generated
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleUserRole(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	me := userOf(r.Context()).Username
	in, ok := decodeUserInput(w, r)
	if !ok {
		return
	}
	if name == me && in.Role != RoleAdmin {
		apiErrorCode(w, http.StatusUnprocessableEntity, "self", "不能取消自己的管理员角色", "you cannot take the administrator role from yourself")
		return
	}
	hospital, ok := s.checkRole(w, r, in.Role, in.Hospital)
	if !ok {
		return
	}
	if err := s.cockpit.SetUserRole(r.Context(), name, in.Role, hospital, me); err != nil {
		s.userError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": name, "role": in.Role, "hospital": hospital})
}

func (s *Server) handleUserState(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		me := userOf(r.Context()).Username
		if name == me && action != "enable" && action != "unlock" {
			apiErrorCode(w, http.StatusUnprocessableEntity, "self", "不能停用或删除自己的账户", "you cannot disable or delete your own account")
			return
		}
		var err error
		switch action {
		case "disable", "enable":
			err = s.cockpit.SetUserDisabled(r.Context(), name, action == "disable", me)
		case "unlock":
			err = s.cockpit.UnlockUser(r.Context(), name, me)
		case "delete":
			err = s.cockpit.DeleteUser(r.Context(), name, me)
		}
		if err != nil {
			s.userError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"username": name, "done": action})
	}
}

func (s *Server) userError(w http.ResponseWriter, err error) {
	if errors.Is(err, sqlite.ErrNotFound) {
		notFound(w)
		return
	}
	s.log.Printf("api users: %v", err)
	apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
}

// GeneratePassword returns 16 random characters from an alphabet without look-alikes.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	for {
		b := make([]byte, 16)
		for i := range b {
			n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			b[i] = alphabet[n.Int64()]
		}
		if CheckPassword(string(b), "") == nil {
			return string(b)
		}
	}
}
