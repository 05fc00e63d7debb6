package web

import (
	"errors"
	"net/http"

	"github.com/yibao-dev/yibao/store/sqlite"
)

// handleDIP serves the newest DIP settlement (按病种分值付费) per hospital: point value, each
// hospital's points, amount, fund payment, case kinds (normal / low / high / special review),
// groups (core / comprehensive / region-wide), prepayment and clearing. A hospital user sees
// its own line only. ?period=YYYY selects a period.
func (s *Server) handleDIP(w http.ResponseWriter, r *http.Request) {
	period := r.URL.Query().Get("period")
	if len(period) > 32 {
		apiError(w, http.StatusBadRequest, "期间参数过长", "period too long")
		return
	}
	run, err := s.cockpit.LatestDIPRun(r.Context(), period)
	if errors.Is(err, sqlite.ErrNoDIPRun) {
		notFound(w)
		return
	}
	if err != nil {
		s.log.Printf("api %s: %v", r.URL.Path, err)
		apiError(w, http.StatusInternalServerError, "服务内部错误", "internal error")
		return
	}
	if sc := scope(r); sc != "" {
		var own []sqlite.DIPHospitalRun
		for _, h := range run.Hospitals {
			if h.Hospital == sc {
				own = append(own, h)
			}
		}
		run.Hospitals = own
	}
	if run.Hospitals == nil {
		run.Hospitals = []sqlite.DIPHospitalRun{}
	}
	writeJSON(w, http.StatusOK, run)
}
