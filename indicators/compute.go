package indicators

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/grouper"
)

// ErrNoStays is returned when nothing was discharged in the period.
var ErrNoStays = errors.New("no inpatient settlements discharged in the period")

// Output is what Compute found.
type Output struct {
	Facts []Facts `json:"facts"`
	// Risk is every DRG's mortality risk class over the region in the period.
	Risk []DRGRisk `json:"risk"`
	// Names maps hospital codes to names (the registry).
	Names map[string]string `json:"-"`
	// Excess lists each unit's DRGs with the largest cost above the region mean.
	Excess map[string][]DRGExcess `json:"-"`
	// Categories counts each unit's counted findings by category.
	Categories map[string]map[string]int `json:"-"`
	// Trace holds the traced unit's cases.
	Trace []CaseTrace `json:"trace,omitempty"`
}

// DRGExcess is a unit's cost in one DRG against the region mean.
type DRGExcess struct {
	DRG            string
	Cases          int
	Excess, Actual float64 // yuan
}

type drgAgg struct {
	n, deaths  int
	los, cost  float64 // Σ days, Σ yuan
	surg       int
	meanLOS    float64
	meanCost   float64
	technology bool
}

// Compute gathers every unit's facts for the period from src.
func Compute(ctx context.Context, src Source, q Query) (*Output, error) {
	if q.Unit == "" {
		q.Unit = "hospital"
	}
	if q.Unit != "hospital" && q.Unit != "department" && q.Unit != "doctor" {
		return nil, fmt.Errorf("unknown unit %q (hospital, department, doctor)", q.Unit)
	}
	if q.Unit != "hospital" && q.Hospital == "" {
		return nil, fmt.Errorf("a %s evaluation needs the hospital", q.Unit)
	}
	p := q.Policy
	if p.ReadmitDays == 0 {
		p = DefaultPolicy()
	}
	prevFrom := q.From.AddDate(-1, 0, 0)
	stays, err := src.Stays(ctx, q.Scheme, prevFrom, q.To.AddDate(0, 0, p.LookAheadDays))
	if err != nil {
		return nil, fmt.Errorf("read stays: %w", err)
	}
	hs, err := src.Hospitals(ctx)
	if err != nil {
		return nil, fmt.Errorf("read hospitals: %w", err)
	}
	out := &Output{Names: map[string]string{}, Excess: map[string][]DRGExcess{}, Categories: map[string]map[string]int{}}
	peer := map[string]string{}
	for _, h := range hs {
		peer[h.Code] = fmt.Sprintf("%d级-%s", h.Level, h.Type)
		out.Names[h.Code] = h.Name
	}
	inPeriod := func(s *Stay) bool { return !s.Discharge.Before(q.From) && s.Discharge.Before(q.To) }
	keyOf := func(s *Stay) string {
		switch q.Unit {
		case "department":
			return s.Dept
		case "doctor":
			return s.Doctor
		}
		return s.Hospital
	}
	mine := func(s *Stay) bool { return q.Hospital == "" || s.Hospital == q.Hospital }

	var period, own, prev []*Stay
	byID := map[string]*Stay{}
	for i := range stays {
		s := &stays[i]
		switch {
		case inPeriod(s):
			period = append(period, s)
			byID[s.SetlID] = s
			if mine(s) {
				own = append(own, s)
			}
		case s.Discharge.Before(q.From):
			prev = append(prev, s)
		}
	}
	if len(period) == 0 {
		return nil, ErrNoStays
	}

	// Detail pass over the period: fees, surgery and the planned-readmission flag.
	planned := map[string]bool{}
	surgical := map[string]bool{}
	type fees struct{ drug, cons, all int64 }
	feeOf := map[string]fees{}
	err = src.EachSettlement(ctx, q.From, q.To, func(st *yibao.Settlement) error {
		if _, ok := byID[st.ID]; !ok {
			return nil
		}
		procs := make([]string, len(st.Procedures))
		for i, pr := range st.Procedures {
			procs[i] = pr.Code
		}
		surgical[st.ID] = grouper.TreatmentClass(procs) == grouper.TreatSurgical
		if st.PlannedReadmission {
			planned[st.ID] = true
		}
		if mine(byID[st.ID]) {
			var f fees
			for _, l := range st.Fees {
				f.all += int64(l.Amount)
				switch l.Category {
				case yibao.CatWesternDrug, yibao.CatHerbal, yibao.CatPatentDrug:
					f.drug += int64(l.Amount)
				case yibao.CatConsumable:
					f.cons += int64(l.Amount)
				}
			}
			feeOf[st.ID] = f
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read settlements: %w", err)
	}

	// Region per DRG over the period.
	region := map[string]*drgAgg{}
	var allCost float64
	var allN int
	for _, s := range period {
		if !s.Grouped {
			continue
		}
		a := region[s.DRG]
		if a == nil {
			a = &drgAgg{}
			region[s.DRG] = a
		}
		a.n++
		a.los += float64(s.LOS)
		a.cost += float64(s.CostFen) / 100
		allCost += float64(s.CostFen) / 100
		allN++
		if s.Disposition == Death {
			a.deaths++
		}
		if surgical[s.SetlID] {
			a.surg++
		}
	}
	cases, deaths := map[string]int{}, map[string]int{}
	for d, a := range region {
		a.meanLOS, a.meanCost = a.los/float64(a.n), a.cost/float64(a.n)
		a.technology = float64(a.surg) >= p.TechSurgicalShare*float64(a.n)
		cases[d], deaths[d] = a.n, a.deaths
	}
	out.Risk = ClassifyRisk(cases, deaths, p.RiskZ)
	low := map[string]bool{}
	for _, r := range out.Risk {
		if r.Class == "low" {
			low[r.DRG] = true
		}
	}
	rw := q.RW
	if rw == nil {
		meanAll := allCost / float64(max(1, allN))
		rw = func(drg, _ string) (float64, bool) {
			a := region[drg]
			if a == nil || meanAll == 0 {
				return 0, false
			}
			return a.meanCost / meanAll, true
		}
	}

	// Readmissions of the period's stays (all hospitals: the follow-up is regional).
	var index []*Stay
	for _, s := range own {
		if s.Disposition != Death {
			index = append(index, s)
		}
	}
	readm := FindReadmissions(index, stays, planned, p)

	by := map[string]*Facts{}
	drgsOf := map[string]map[string]bool{}
	excess := map[string]map[string]*DRGExcess{}
	get := func(k string) *Facts {
		if by[k] == nil {
			pg := peer[k]
			if q.Unit != "hospital" {
				pg = q.Hospital
			}
			by[k] = &Facts{Hospital: k, PeerGroup: pg}
			drgsOf[k], excess[k] = map[string]bool{}, map[string]*DRGExcess{}
		}
		return by[k]
	}
	traced := func(k, ind string) bool {
		return q.Trace != nil && q.Trace.Unit == k && (q.Trace.Indicator == "" || q.Trace.Indicator == ind)
	}
	trace := func(k, ind, id, role, note string) {
		if traced(k, ind) {
			out.Trace = append(out.Trace, CaseTrace{Indicator: ind, SetlID: id, Role: role, Note: note})
		}
	}
	unitOf := map[string]string{}
	for _, s := range own {
		k := keyOf(s)
		unitOf[s.SetlID] = k
		f := get(k)
		f.Cases++
		f.LOS += float64(s.LOS)
		f.CostYuan += float64(s.CostFen) / 100
		f.FundFen += s.FundFen
		fe := feeOf[s.SetlID]
		f.DrugFen, f.ConsFen, f.FeeFen = f.DrugFen+fe.drug, f.ConsFen+fe.cons, f.FeeFen+fe.all
		if surgical[s.SetlID] {
			f.Surgical++
			trace(k, "surgical_share", s.SetlID, "numerator", "")
		}
		if s.Failed {
			f.ValidationFailed++
			trace(k, "list_pass_rate", s.SetlID, "excluded", "分组校验失败")
		}
		if s.Disposition != Death {
			f.IndexStays++
			r := readm[s.SetlID]
			switch r.Outcome {
			case "unplanned":
				f.Readmissions31++
				trace(k, "readmission_31", s.SetlID, "numerator", fmt.Sprintf("%d 天后再入院 %s", r.Days, r.Next))
			case "planned":
				f.PlannedExcluded++
				trace(k, "readmission_31", s.SetlID, "denominator", fmt.Sprintf("计划再入院 %s（前次 days_rinp_flag_31=2），不计", r.Next))
			case "transfer":
				f.TransferExcluded++
				trace(k, "readmission_31", s.SetlID, "denominator", fmt.Sprintf("转院 %s，不计", r.Next))
			default:
				trace(k, "readmission_31", s.SetlID, "denominator", "")
			}
		} else {
			trace(k, "readmission_31", s.SetlID, "excluded", "死亡出院")
		}
		if !s.Grouped {
			continue
		}
		f.Grouped++
		drgsOf[k][s.DRG] = true
		a := region[s.DRG]
		// Σ k_i n_i = Σ over cases of e_c / E_i: each case's share of its DRG's region mean.
		tk, ck := float64(s.LOS)/a.meanLOS, float64(s.CostFen)/100/a.meanCost
		f.TimeK, f.TimeN, f.CostK, f.CostN = f.TimeK+tk, f.TimeN+1, f.CostK+ck, f.CostN+1
		if a.technology {
			f.TechCases++
			f.CostKTech, f.CostNTech = f.CostKTech+ck, f.CostNTech+1
		} else {
			f.TimeKRoutine, f.TimeNRoutine = f.TimeKRoutine+tk, f.TimeNRoutine+1
			f.CostKRoutine, f.CostNRoutine = f.CostKRoutine+ck, f.CostNRoutine+1
		}
		if w, ok := rw(s.DRG, s.ADRG); ok {
			f.SumRW += w
			f.Weighted++
			trace(k, "cmi", s.SetlID, "numerator", fmt.Sprintf("%s RW %.4f", s.DRG, w))
		}
		if traced(k, "cost_index") || traced(k, "time_index") {
			trace(k, "cost_index", s.SetlID, "numerator", fmt.Sprintf("%s 费用 %.2f / 全区均值 %.2f", s.DRG, float64(s.CostFen)/100, a.meanCost))
			trace(k, "time_index", s.SetlID, "numerator", fmt.Sprintf("%s 住院日 %d / 全区均值 %.2f", s.DRG, s.LOS, a.meanLOS))
		}
		if low[s.DRG] {
			f.LowRiskCases++
			if s.Disposition == Death {
				f.LowRiskDeaths++
				trace(k, "low_risk_mortality", s.SetlID, "numerator", s.DRG+" 低风险组死亡")
			} else {
				trace(k, "low_risk_mortality", s.SetlID, "denominator", s.DRG)
			}
		}
		x := excess[k][s.DRG]
		if x == nil {
			x = &DRGExcess{DRG: s.DRG}
			excess[k][s.DRG] = x
		}
		x.Cases++
		x.Actual += float64(s.CostFen) / 100
		x.Excess += float64(s.CostFen)/100 - a.meanCost
	}

	// Cost growth against the previous year, net of the region's growth.
	var regionNow, regionPrev float64
	for _, s := range period {
		regionNow += float64(s.CostFen) / 100
	}
	prevCost := map[string][2]float64{}
	for _, s := range prev {
		regionPrev += float64(s.CostFen) / 100
		if !mine(s) {
			continue
		}
		k := keyOf(s)
		v := prevCost[k]
		prevCost[k] = [2]float64{v[0] + float64(s.CostFen)/100, v[1] + 1}
	}
	growth := 0.0
	if len(prev) > 0 && regionPrev > 0 {
		growth = (regionNow/float64(len(period)))/(regionPrev/float64(len(prev))) - 1
	}

	// Findings: counted per stay, confirmed ones fully, open ones by the policy weight.
	fs, err := src.Findings(ctx, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	type stayFind struct {
		w           float64
		upcode, spl bool
	}
	perStay := map[string]*stayFind{}
	for _, fd := range fs {
		k, ok := unitOf[fd.SetlID]
		if !ok {
			continue
		}
		w := 0.0
		switch fd.Status {
		case "confirmed":
			w = 1
		case "open", "":
			w = p.OpenFindingWeight
		}
		if w == 0 {
			continue
		}
		f := get(k)
		f.FindingsFen += w * float64(fd.AmountFen)
		if out.Categories[k] == nil {
			out.Categories[k] = map[string]int{}
		}
		out.Categories[k][fd.Category]++
		sf := perStay[fd.SetlID]
		if sf == nil {
			sf = &stayFind{}
			perStay[fd.SetlID] = sf
		}
		sf.w = max(sf.w, w)
		if fd.Status == "confirmed" {
			sf.upcode = sf.upcode || fd.Category == "upcoding"
			sf.spl = sf.spl || fd.Category == "split_admission"
		}
		trace(k, "findings_amount", fd.SetlID, "numerator", fmt.Sprintf("%s %s %.2f 元 × %.2f", fd.Category, fd.Status, float64(fd.AmountFen)/100, w))
	}
	ids := make([]string, 0, len(perStay))
	for id := range perStay {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sf := perStay[id]
		k := unitOf[id]
		f := get(k)
		f.FindingStays += sf.w
		trace(k, "findings_per_100", id, "numerator", fmt.Sprintf("权重 %.2f", sf.w))
		if sf.upcode {
			f.Upcoding++
			trace(k, "upcoding_rate", id, "numerator", "")
		}
		if sf.spl {
			f.Split++
			trace(k, "split_rate", id, "numerator", "")
		}
	}

	// Settlement-list quality from ingest's counts (hospitals only).
	if q.Unit == "hospital" {
		lc, err := src.ListCounts(ctx, q.From, q.To)
		if err != nil {
			return nil, fmt.Errorf("read list counts: %w", err)
		}
		for _, c := range lc {
			f, ok := by[c.Hospital]
			if !ok {
				continue
			}
			f.HasList = true
			f.ListRead += c.Read
			f.ListRejected += c.Rejected
		}
	}

	for k, f := range by {
		f.DRGs = len(drgsOf[k])
		if pc := prevCost[k]; pc[1] > 0 {
			f.PrevCases, f.PrevCostPerCase = int(pc[1]), pc[0]/pc[1]
		}
		f.RegionGrowth = growth
		out.Facts = append(out.Facts, *f)
		var xs []DRGExcess
		for _, x := range excess[k] {
			xs = append(xs, *x)
		}
		sort.Slice(xs, func(i, j int) bool {
			if xs[i].Excess != xs[j].Excess {
				return xs[i].Excess > xs[j].Excess
			}
			return xs[i].DRG < xs[j].DRG
		})
		out.Excess[k] = xs[:min(5, len(xs))]
	}
	sort.Slice(out.Facts, func(i, j int) bool { return out.Facts[i].Hospital < out.Facts[j].Hospital })
	return out, nil
}
