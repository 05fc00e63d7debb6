package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/yibao-dev/yibao/forecast"
	"github.com/yibao-dev/yibao/monitor"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// The fund-monitoring API (issue 18): the fund's books, forecasts as fan-chart data with their
// backtest error, projections under scenarios, and the alert inbox. Handlers only read
// parameters, call the store and the monitor/forecast engines, and write JSON.

// registerMonitor adds the monitoring endpoints to the cockpit's mux.
func (s *Server) registerMonitor(mux *http.ServeMux) {
	for path, h := range map[string]http.HandlerFunc{
		"GET /api/fund/books":      s.handleFundBooks,
		"GET /api/fund/projection": s.handleFundProjection,
		"GET /api/forecast":        s.handleForecast,
		"GET /api/alerts":          s.handleAlerts,
		"GET /api/alerts/rules":    s.handleAlertRules,
		"POST /api/alerts/state":   s.handleAlertState,
	} {
		mux.HandleFunc(path, s.authed(h))
	}
}

func (s *Server) books(ctx context.Context) ([]monitor.BookMonth, error) {
	ledger, err := s.cockpit.Ledger(ctx)
	if err != nil || len(ledger) == 0 {
		return nil, err
	}
	spend, err := s.cockpit.FundSpending(ctx)
	if err != nil {
		return nil, err
	}
	return monitor.Books(ledger, spend, monitor.DefaultBands)
}

// bureauOnly answers 403 to hospital users: the fund's books are the bureau's.
func bureauOnly(w http.ResponseWriter, r *http.Request) bool {
	if !Bureau(userOf(r.Context()).Role) {
		apiError(w, http.StatusForbidden, "仅医保局用户可查看基金收支", "the fund's books are for bureau users")
		return false
	}
	return true
}

func validInsuType(t string) bool {
	return t == "" || t == monitor.Employee || t == monitor.Resident || t == monitor.AllTypes
}

func (s *Server) handleFundBooks(w http.ResponseWriter, r *http.Request) {
	if !bureauOnly(w, r) {
		return
	}
	t := r.URL.Query().Get("insutype")
	if !validInsuType(t) {
		apiError(w, http.StatusBadRequest, "险种应为 310、390 或 all", "insutype must be 310, 390 or all")
		return
	}
	s.serveJSON(w, r, "fund-books|"+t, func() (any, error) {
		books, err := s.books(r.Context())
		if err != nil {
			return nil, err
		}
		out := []monitor.BookMonth{}
		for _, b := range books {
			if t == "" || b.InsuType == t {
				out = append(out, b)
			}
		}
		return map[string]any{"books": out, "bands": monitor.DefaultBands, "has_ledger": len(books) > 0}, nil
	})
}

func (s *Server) handleFundProjection(w http.ResponseWriter, r *http.Request) {
	if !bureauOnly(w, r) {
		return
	}
	q := r.URL.Query()
	t := q.Get("insutype")
	if t == "" {
		t = monitor.AllTypes
	}
	years, err := strconv.Atoi(q.Get("years"))
	if q.Get("years") == "" {
		years, err = 5, nil
	}
	if !validInsuType(t) || err != nil || years < 1 || years > 5 {
		apiError(w, http.StatusBadRequest, "参数错误：险种 310/390/all，年数 1–5", "insutype 310/390/all, years 1–5")
		return
	}
	s.serveJSON(w, r, fmt.Sprintf("fund-projection|%s|%d", t, years), func() (any, error) {
		books, err := s.books(r.Context())
		if err != nil {
			return nil, err
		}
		if len(books) == 0 {
			return map[string]any{"projections": []any{}, "has_ledger": false}, nil
		}
		var out []*monitor.Projection
		for _, sc := range monitor.DefaultScenarios() {
			p, err := monitor.Project(r.Context(), books, t, years, sc, monitor.DefaultBands)
			if err != nil {
				return map[string]any{"projections": []any{}, "has_ledger": true, "reason": err.Error()}, nil
			}
			out = append(out, p)
		}
		return map[string]any{"projections": out, "has_ledger": true}, nil
	})
}

// handleForecast returns fan-chart data for one series: history, forecast mean and 80%/95%
// intervals, the model and its rolling-origin backtest error. A hospital user may only ask
// for its own hospital's series.
func (s *Server) handleForecast(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	by, measure, key := q.Get("by"), q.Get("measure"), q.Get("key")
	if by == "" {
		by = "total"
	}
	if measure == "" {
		measure = "fund"
	}
	horizon, err := strconv.Atoi(q.Get("horizon"))
	if q.Get("horizon") == "" {
		horizon, err = 12, nil
	}
	if err != nil || horizon < 1 || horizon > 36 || len(key) > 64 {
		apiError(w, http.StatusBadRequest, "预测期应为 1–36 个月", "horizon must be 1–36 months")
		return
	}
	if sc := scope(r); sc != "" {
		if by != "hospital" || key != sc {
			notFound(w)
			return
		}
	}
	if by == "total" {
		key = "total"
	}
	if by == "insutype" && key == monitor.AllTypes {
		by, key = "total", "total"
	}
	s.serveJSON(w, r, fmt.Sprintf("forecast|%s|%s|%s|%d", by, measure, key, horizon), func() (any, error) {
		all, err := s.cockpit.MonthlySeries(r.Context(), by, measure, s.scheme)
		if err != nil {
			return map[string]any{"error": err.Error()}, nil
		}
		series, ok := all[key]
		if !ok {
			return map[string]any{"found": false}, nil
		}
		res, err := forecast.Run(r.Context(), forecast.Request{Series: series, Horizon: horizon})
		if err != nil {
			return map[string]any{"found": true, "error": err.Error()}, nil
		}
		hist := make([]map[string]any, len(series.Values))
		for i, v := range series.Values {
			hist[i] = map[string]any{"period": series.Period(i).String(), "value": v}
		}
		return map[string]any{"found": true, "by": by, "measure": measure, "key": key, "history": hist, "result": res}, nil
	})
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state != "" && state != monitor.StateNew && state != monitor.StateAcknowledged && state != monitor.StateResolved {
		apiError(w, http.StatusBadRequest, "状态应为 new、acknowledged 或 resolved", "state must be new, acknowledged or resolved")
		return
	}
	as, err := s.cockpit.Alerts(r.Context(), sqlite.AlertFilter{Hospital: scope(r), State: state, Limit: 500})
	if err != nil {
		s.log.Printf("api alerts: %v", err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	if as == nil {
		as = []monitor.Alert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": as})
}

func (s *Server) handleAlertRules(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"rules": monitor.DefaultRules(), "bands": monitor.DefaultBands})
}

// handleAlertState acknowledges or resolves an alert: {"key": …, "state": "acknowledged" |
// "resolved", "note": …}. Hospital users may only act on their own hospital's alerts.
func (s *Server) handleAlertState(w http.ResponseWriter, r *http.Request) {
	p := userOf(r.Context())
	var in struct{ Key, State, Note string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<14)).Decode(&in); err != nil || in.Key == "" || len(in.Key) > 256 {
		apiError(w, http.StatusBadRequest, "请求格式错误", "malformed request")
		return
	}
	if in.State != monitor.StateAcknowledged && in.State != monitor.StateResolved {
		apiError(w, http.StatusBadRequest, "状态应为 acknowledged 或 resolved", "state must be acknowledged or resolved")
		return
	}
	a, err := s.cockpit.TransitionAlert(r.Context(), in.Key, scope(r), in.State, p.Username, in.Note, time.Now().UTC())
	switch {
	case errors.Is(err, sqlite.ErrNoAlert):
		notFound(w)
		return
	case errors.Is(err, monitor.ErrTransition):
		apiError(w, http.StatusConflict, "预警状态不允许此变更", err.Error())
		return
	case err != nil:
		apiError(w, http.StatusUnprocessableEntity, "无法变更预警状态", err.Error())
		return
	}
	if err := s.cockpit.LogAction(r.Context(), p.Username, "alert."+in.State, in.Key); err != nil {
		s.log.Printf("audit log: %v", err)
	}
	s.cache.clear()
	writeJSON(w, http.StatusOK, map[string]any{"key": a.Key, "state": a.State})
}
