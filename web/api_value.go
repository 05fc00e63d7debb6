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

// maxGapRows bounds the care-gap table's work (local choice): a selection larger than this
// is shown and exported up to the bound, with the true total in `unfiltered`' note.
const maxGapRows = 50000

// handleValueGapsTable serves the care gaps of the latest run as a table (docs/api.md
// "Tables"): names beside codes, status in words, paged, sorted, filtered and exported as
// shown. ?institution=, ?measure=, ?period=.
func (s *Server) handleValueGapsTable(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	inst := q.Get("institution")
	hospitalUser := scope(r) != ""
	if only := scope(r); only != "" {
		if inst != "" && inst != only {
			notFound(w)
			return
		}
		inst = only
	}
	ctx := r.Context()
	run, ok, err := s.cockpit.LatestValueRun(ctx, q.Get("period"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		notFound(w)
		return
	}
	gaps, total, err := s.cockpit.ValueGaps(ctx, run.ID, inst, q.Get("measure"), 0, maxGapRows)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	measures := map[string][2]string{}
	for _, m := range value.DefaultDefinitions().Measures {
		measures[m.ID] = [2]string{m.Name, m.NameEN}
	}
	names := s.names(ctx)
	lang := langOf(r)
	g := &grid{Name: "care-gaps", TitleZh: "照护缺口", TitleEn: "Care gaps", Period: run.Period,
		Extra: map[string]any{"run": run.ID, "capped": total > len(gaps), "all": total}}
	g.Columns = []column{{"institution", "机构", "Institution", "coded", "hospital"}, {"team", "家庭医生团队", "Team", "text", ""},
		{"measure", "指标", "Measure", "label", ""}, {"person", "人员（化名）", "Person (pseudonym)", "text", ""},
		{"status", "状态", "Status", "label", ""}, {"count", "次数", "Count", "int", ""}, {"date", "日期", "Date", "text", ""},
		{"value", "最近结果", "Last result", "text", ""}}
	if !hospitalUser {
		g.Columns = append(g.Columns, column{"setl_id", "结算编号", "Settlement", "text", "settlement"})
	}
	for _, x := range gaps {
		m := measures[x.Measure]
		if m[0] == "" {
			m = [2]string{x.Measure, x.Measure}
		}
		rw := row{"institution": x.Institution, "institution_name": names.hospitals[x.Institution], "team": x.Team,
			"measure": x.Measure, "measure_zh": m[0], "measure_en": m[1], "person": x.Person,
			"status": x.Status, "status_zh": value.StatusName(x.Status), "status_en": x.Status,
			"count": x.Count, "date": x.Day, "value": x.Value, "setl_id": x.SetlID}
		if hospitalUser {
			// As in /api/value/gaps: no other institution's settlement, no readmission detail.
			rw["setl_id"] = ""
			if x.Measure == "readmission_31" {
				rw["value"] = ""
			}
		}
		g.Rows = append(g.Rows, rw)
	}
	if inst != "" && !hospitalUser {
		g.Filters = append(g.Filters, activeFilter{Key: "institution", Value: inst, Label: pick(lang, "机构：", "Institution: ") + inst + " " + names.hospitals[inst]})
	}
	if m := q.Get("measure"); m != "" {
		g.Filters = append(g.Filters, activeFilter{Key: "measure", Value: m, Label: pick(lang, "指标：", "Measure: ") + label(measures, m, lang)})
	}
	s.serveGrid(w, r, g)
}
