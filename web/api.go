package web

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// scope is the hospital a request may see: "" for the bureau.
func scope(r *http.Request) string {
	p := userOf(r.Context())
	if Bureau(p.Role) {
		return ""
	}
	return p.Hospital
}

// visible reports whether the user may see a hospital's data; hospital users asking for
// another hospital get 404, as if it did not exist.
func visible(r *http.Request, hospital string) bool {
	s := scope(r)
	return s == "" || s == hospital
}

func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, key string, compute func() (any, error)) {
	v, err := s.cache.get(key+"|"+scope(r), compute)
	if err != nil {
		s.log.Printf("api %s: %v", r.URL.Path, err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func notFound(w http.ResponseWriter) { apiError(w, http.StatusNotFound, "未找到", "not found") }

func (s *Server) handleFileAppeal(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	if p.Role != RoleHospital {
		apiError(w, http.StatusForbidden, "只有医院用户可以提出申诉", "only hospital users file appeals")
		return
	}
	var in struct{ Target, Reason string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > 2000 {
		apiError(w, http.StatusUnprocessableEntity, "申诉需要填写理由（不超过 2000 字）", "an appeal needs grounds (at most 2000 characters)")
		return
	}
	pub, err := s.cockpit.PublicationTime(r.Context(), in.Target, p.Hospital)
	if err != nil {
		notFound(w)
		return
	}
	a, err := s.calendar.FileAppeal(evaluate.Appeal{Hospital: p.Hospital, Target: in.Target, Reason: in.Reason, Published: pub, Filed: time.Now().UTC()})
	if err == nil {
		err = s.refileAllowed(r.Context(), a)
	}
	if err != nil {
		apiError(w, http.StatusUnprocessableEntity, "申诉未受理："+err.Error(), err.Error())
		return
	}
	id, err := s.cockpit.PutAppeal(r.Context(), sqlite.AppealRow{Hospital: a.Hospital, Target: a.Target, Reason: a.Reason, Published: a.Published,
		Filed: a.Filed, State: a.State, DecideBy: a.DecideBy, FiledBy: p.Username}, p.Username, "appeal.file")
	if err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	s.cache.clear()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "state": a.State, "decide_by": a.DecideBy})
}

func (s *Server) handleDecideAppeal(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	if !Bureau(p.Role) {
		notFound(w)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in struct {
		Uphold bool
		Why    string
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return
	}
	in.Why = strings.TrimSpace(in.Why)
	if in.Why == "" || utf8.RuneCountInString(in.Why) > 2000 {
		apiError(w, http.StatusUnprocessableEntity, "决定需要填写理由（不超过 2000 字）", "a decision needs a reason (at most 2000 characters)")
		return
	}
	row, err := s.cockpit.Appeal(r.Context(), id)
	if err != nil {
		notFound(w)
		return
	}
	d, err := s.calendar.Decide(evaluate.Appeal{ID: row.ID, Target: row.Target, State: row.State, DecideBy: row.DecideBy, Filed: row.Filed}, in.Uphold, p.Username, in.Why, time.Now().UTC())
	if err != nil {
		apiError(w, http.StatusUnprocessableEntity, "无法作出决定："+err.Error(), err.Error())
		return
	}
	row.State, row.DecidedBy, row.DecidedAt, row.DecisionWhy = d.State, d.DecidedBy, d.DecidedAt, d.DecisionWhy
	if _, err := s.cockpit.PutAppeal(r.Context(), row, p.Username, "appeal.decide"); err != nil {
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	s.cache.clear()
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "state": d.State})
}

func (s *Server) handleScenarios(w http.ResponseWriter, r *http.Request) {
	var names []string
	if s.scenarios != "" {
		m, _ := filepath.Glob(filepath.Join(s.scenarios, "scenario-*.json"))
		for _, p := range m {
			names = append(names, strings.TrimSuffix(filepath.Base(p), ".json"))
		}
	}
	if names == nil {
		names = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"scenarios": names})
}

func (s *Server) handleSimulate(w http.ResponseWriter, r *http.Request) {
	if !Bureau(userOf(r.Context()).Role) {
		notFound(w)
		return
	}
	name := r.URL.Query().Get("scenario")
	file, err := yibao.FileName(name, ".json")
	if err == nil {
		_, err = os.Stat(filepath.Join(s.scenarios, file))
	}
	if s.simulate == nil || err != nil { // an unknown scenario is not found, not a server error
		notFound(w)
		return
	}
	s.serveJSON(w, r, "simulate:"+name, func() (any, error) {
		return s.simulate(r.Context(), filepath.Join(s.scenarios, file))
	})
}
