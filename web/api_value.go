package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/yibao-dev/yibao/value"
)

// handleValue serves the latest value-based settlement (of ?period= when given): per
// institution the measures, capitation, withhold returned, outcome payments and shared
// savings, with the measure definitions. A hospital user sees its own institution only.
func (s *Server) handleValue(w http.ResponseWriter, r *http.Request) {
	period := r.URL.Query().Get("period")
	if period != "" {
		if _, err := value.ParsePeriod(period); err != nil {
			apiError(w, http.StatusBadRequest, "期间应为四位年份", "period must be YYYY")
			return
		}
	}
	s.serveJSON(w, r, "value|"+period, func() (any, error) {
		run, ok, err := s.cockpit.LatestValueRun(r.Context(), period)
		if err != nil || !ok {
			return map[string]any{"run": nil}, err
		}
		var measures struct {
			Institutions []value.Result `json:"institutions"`
			Teams        []value.Result `json:"teams"`
		}
		var set value.Settlement
		if err := json.Unmarshal(run.Measures, &measures); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(run.Settlement, &set); err != nil {
			return nil, err
		}
		only := scope(r)
		keep := func(rs []value.Result) []value.Result {
			out := []value.Result{}
			for _, x := range rs {
				if only == "" || x.Institution == only {
					out = append(out, x)
				}
			}
			return out
		}
		insts := []value.InstitutionSettlement{}
		for _, x := range set.Institutions {
			if only == "" || x.Institution == only {
				insts = append(insts, x)
			}
		}
		defs := value.DefaultDefinitions()
		return map[string]any{
			"run": run.ID, "period": run.Period, "policy": run.Policy, "baseline": set.Baseline, "created_at": run.CreatedAt,
			"measures": keep(measures.Institutions), "teams": keep(measures.Teams), "institutions": insts,
			"definitions": defs.Measures, "conditions": defs.Conditions,
		}, nil
	})
}

// handleValueGaps pages through the care gaps of the latest run: who has not been tested,
// who is uncontrolled. ?institution=, ?measure=, ?offset=, ?limit= (≤ 500).
func (s *Server) handleValueGaps(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	inst := q.Get("institution")
	if only := scope(r); only != "" {
		if inst != "" && inst != only {
			notFound(w)
			return
		}
		inst = only
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	offset = max(offset, 0)
	run, ok, err := s.cockpit.LatestValueRun(r.Context(), q.Get("period"))
	if err != nil {
		s.log.Printf("api value gaps: %v", err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	if !ok {
		notFound(w)
		return
	}
	gaps, total, err := s.cockpit.ValueGaps(r.Context(), run.ID, inst, q.Get("measure"), offset, limit)
	if err != nil {
		s.log.Printf("api value gaps: %v", err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	out := make([]map[string]any, len(gaps))
	for i, g := range gaps {
		// A hospital user is not told other institutions' settlement ids (the deciding
		// encounter may have been elsewhere).
		if scope(r) != "" {
			g.SetlID = ""
			if g.Measure == "readmission_31" {
				g.Value = ""
			}
		}
		out[i] = map[string]any{"institution": g.Institution, "team": g.Team, "measure": g.Measure, "person": g.Person,
			"status": g.Status, "status_name": value.StatusName(g.Status), "count": g.Count, "date": g.Day, "value": g.Value, "setl_id": g.SetlID}
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run.ID, "period": run.Period, "gaps": out, "total": total, "offset": offset, "limit": limit})
}
