package synth

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = fmt.Appendf(b, `\u%04x`, c)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendKV(b []byte, k, v string) []byte {
	b = appendStr(b, k)
	b = append(b, ':')
	return appendStr(b, v)
}

// appendYuan writes fen as a JSON number in yuan with two decimals.
func appendYuan(b []byte, fen int64) []byte {
	if fen < 0 {
		b = append(b, '-')
		fen = -fen
	}
	b = strconv.AppendInt(b, fen/100, 10)
	b = append(b, '.')
	return append(b, byte('0'+fen%100/10), byte('0'+fen%10))
}

const tsLayout = "2006-01-02 15:04:05"

// payment splits a settlement between the pooled fund and the person: class C items are
// self-paid, 10% of class B is paid first by the person, then a deductible by hospital
// level (inpatient), then the fund pays its ratio of the rest.
func payment(e *encounter) (total, fund, selfpay, ownpay, acct, cash int64) {
	var classB int64
	for _, f := range e.fees {
		amt := int64(f.qty) * f.priceFen
		total += amt
		switch f.item.ListClass {
		case "03":
			ownpay += amt
		case "02":
			classB += amt
		}
	}
	inscope := total - ownpay
	pre := classB / 10
	ratio := 0.0
	deductible := int64(0)
	employee := e.p.insutype == "310"
	if e.inpatient {
		deductible = [4]int64{0, 30000, 60000, 90000}[e.h.level]
		ratio = [4]float64{0, 0.80, 0.70, 0.60}[e.h.level]
		if employee {
			ratio += 0.1
		}
	} else {
		ratio = 0.7
		if employee {
			ratio = 0.85
		}
	}
	base := inscope - pre - deductible
	if base > 0 {
		fund = int64(math.Round(float64(base) * ratio))
	}
	selfpay = inscope - fund
	rest := total - fund
	if !e.inpatient && employee {
		acct = rest
	}
	cash = rest - acct
	return
}

// appendDocument appends e as one NDJSON settlement document in the canonical shape
// (docs/formats.md), by hand: encoding/json would spend most of the generator's time.
func appendDocument(b []byte, g *gen, e *encounter) []byte {
	p := e.p
	b = append(b, `{"setlinfo":{`...)
	b = appendKV(b, "setl_id", e.setlID)
	b = append(b, ',')
	b = appendKV(b, "mdtrt_id", e.mdtrtID)
	b = append(b, ',')
	b = appendKV(b, "psn_no", p.psnNo)
	b = append(b, ',')
	b = appendKV(b, "certno", p.certNo)
	b = append(b, ',')
	b = appendKV(b, "psn_name", p.name)
	b = append(b, ',')
	b = appendKV(b, "fixmedins_code", e.h.code)
	b = append(b, ',')
	b = appendKV(b, "fixmedins_name", e.h.name)
	b = append(b, ',')
	b = appendKV(b, "gend", strconv.Itoa(p.sex))
	b = append(b, ',')
	b = appendKV(b, "brdy", p.birth.Format("2006-01-02"))
	b = append(b, `,"age":`...)
	b = strconv.AppendInt(b, int64(ageYears(p.birth, e.adm)), 10)
	if e.ageDays >= 0 {
		b = append(b, `,"nwb_age":`...)
		b = strconv.AppendInt(b, int64(e.ageDays), 10)
		if e.birthWeight > 0 {
			b = append(b, `,"nwb_bir_wt":`...)
			b = strconv.AppendInt(b, int64(e.birthWeight), 10)
		}
	}
	b = append(b, ',')
	b = appendKV(b, "insutype", p.insutype)
	b = append(b, ',')
	b = appendKV(b, "insuplc", p.region)
	b = append(b, ',')
	if e.inpatient {
		b = appendKV(b, "ipt_med_type", e.medType)
	} else {
		b = appendKV(b, "med_type", e.medType)
	}
	b = append(b, ',')
	b = appendKV(b, "adm_time", e.adm.Format(tsLayout))
	b = append(b, ',')
	b = appendKV(b, "dscg_time", e.dscg.Format(tsLayout))
	if e.inpatient {
		b = append(b, `,"act_ipt_days":`...)
		b = strconv.AppendInt(b, int64(e.los), 10)
		b = append(b, ',')
		b = appendKV(b, "adm_caty", e.dept)
		b = append(b, ',')
		b = appendKV(b, "dscg_caty", e.dept)
		b = append(b, ',')
		b = appendKV(b, "dscg_way", e.disposition)
		b = append(b, ',')
		// 是否有出院31天内再住院计划, recorded at this discharge for the next stay.
		flag := "1"
		if e.plansNext {
			flag = "2"
		}
		b = appendKV(b, "days_rinp_flag_31", flag)
		if e.ventMinutes > 0 {
			b = append(b, ',')
			b = appendKV(b, "vent_used_dura", fmt.Sprintf("%d/%d/%d", e.ventMinutes/1440, e.ventMinutes%1440/60, e.ventMinutes%60))
		}
	}
	total, fund, selfpay, ownpay, acct, cash := payment(e)
	for _, kv := range []struct {
		k string
		v int64
	}{{"medfee_sumamt", total}, {"hifp_payamt", fund}, {"psn_selfpay", selfpay}, {"psn_ownpay", ownpay}, {"acct_pay", acct}, {"psn_cashpay", cash}} {
		b = append(b, ',')
		b = appendStr(b, kv.k)
		b = append(b, ':')
		b = appendYuan(b, kv.v)
	}
	b = append(b, `},"diseinfo":[`...)
	for i, d := range e.dx {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKV(b, "diag_code", d)
		b = append(b, ',')
		b = appendKV(b, "diag_name", g.w.DxNames[d])
		b = append(b, ',')
		b = appendKV(b, "maindiag_flag", flag01(i == 0))
		b = append(b, ',')
		b = appendKV(b, "diag_type", "1")
		if e.inpatient {
			// 入院病情: present on admission, except complications arising during the stay.
			cond := "1"
			if i > 0 && slices.Contains(e.acquired, d) {
				cond = "4"
			}
			b = append(b, ',')
			b = appendKV(b, "adm_cond_type", cond)
		}
		b = append(b, '}')
	}
	if e.hasTCM {
		// A TCM hospital records the TCM principal disease (diag_type 2) and syndrome (3).
		for k, t := range e.tcm {
			b = append(b, `,{`...)
			b = appendKV(b, "diag_code", t[0])
			b = append(b, ',')
			b = appendKV(b, "diag_name", t[1])
			b = append(b, `,"maindiag_flag":"1",`...)
			b = appendKV(b, "diag_type", strconv.Itoa(k+2))
			b = append(b, '}')
		}
	}
	b = append(b, `],"oprninfo":[`...)
	for i, pr := range e.proc {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKV(b, "oprn_oprt_code", pr.code)
		b = append(b, ',')
		b = appendKV(b, "oprn_oprt_name", g.w.ProcNames[pr.code])
		b = append(b, ',')
		b = appendKV(b, "main_oprn_flag", flag01(i == 0))
		b = append(b, ',')
		b = appendKV(b, "oprn_oprt_date", pr.date.Format("2006-01-02"))
		b = append(b, ',')
		b = appendKV(b, "oper_dr_code", pr.dr)
		b = append(b, '}')
	}
	b = append(b, `],"feedetl":[`...)
	for i, f := range e.fees {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"feedetl_sn":"`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `",`...)
		b = appendKV(b, "fee_ocur_time", f.t.Format(tsLayout))
		b = append(b, ',')
		b = appendKV(b, "med_list_codg", f.item.Code)
		b = append(b, ',')
		b = appendKV(b, "hilist_name", f.item.Name)
		b = append(b, ',')
		b = appendKV(b, "med_chrgitm_type", f.item.Category)
		b = append(b, ',')
		b = appendKV(b, "chrgitm_lv", f.item.ListClass)
		b = append(b, `,"cnt":`...)
		b = strconv.AppendInt(b, int64(f.qty), 10)
		b = append(b, `,"pric":`...)
		b = appendYuan(b, f.priceFen)
		b = append(b, `,"det_item_fee_sumamt":`...)
		b = appendYuan(b, int64(f.qty)*f.priceFen)
		b = append(b, ',')
		b = appendKV(b, "bilg_dept_codg", e.dept)
		b = append(b, ',')
		b = appendKV(b, "bilg_dr_codg", f.doctor)
		if f.order != "" {
			b = append(b, ',')
			b = appendKV(b, "rx_drord_no", f.order)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if len(e.meas) > 0 {
		b = append(b, `,"ext_measurements":[`...)
		for i, m := range e.meas {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"item":"`...)
			b = append(b, m.item...)
			b = append(b, `","value":`...)
			b = append(b, m.value...)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// flagEmpty writes a knowledge-base yes as 1 and a no as an empty cell.
func flagEmpty(v bool) string {
	if v {
		return "1"
	}
	return ""
}

// flag01 is the interface's encoding of a yes/no field.
func flag01(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

func appendPersonCSV(b []byte, p *person) []byte {
	return fmt.Appendf(b, "%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s\n", p.psnNo, p.certNo, p.name, p.sex, p.birth.Format("2006-01-02"),
		p.insutype, p.region, flag01(p.htn), flag01(p.dm), flag01(p.copd), flag01(p.ckd))
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (g *gen) writeHospitals() error {
	rows := [][]string{{"code", "name", "level", "grade", "type", "specialty", "region", "beds"}}
	for _, h := range g.hosps {
		rows = append(rows, []string{h.code, h.name, strconv.Itoa(h.level), h.grade, h.typ, h.specialty, h.region, strconv.Itoa(h.beds)})
	}
	if err := writeCSV(filepath.Join(g.cfg.Out, HospitalsFile), rows); err != nil {
		return err
	}
	// Patient satisfaction surveys (an imported indicator): less efficient hospitals score lower.
	sat := [][]string{{"hospital", "value"}}
	for _, h := range g.hosps {
		v := 96 - (h.costFactor-0.9)*25 - (h.losFactor-0.85)*12
		sat = append(sat, []string{h.code, strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)})
	}
	return writeCSV(filepath.Join(g.cfg.Out, SatisfactionFile), sat)
}

// writeKB writes the knowledge base that makes the injected irregularities detectable.
func (g *gen) writeKB() error {
	dir := filepath.Join(g.cfg.Out, KBDir)
	num := func(v int) string {
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	}
	opt := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	}
	items := [][]string{{"code", "name", "sex", "min_age", "max_age", "indications", "min_hosp_level", "max_qty_per_day", "max_qty_per_stay", "max_price", "auto_daily", "category", "list_class"}}
	for _, it := range g.w.Items {
		price := ""
		if it.MaxPrice > 0 {
			price = strconv.FormatFloat(it.MaxPrice, 'f', 2, 64)
		}
		items = append(items, []string{it.Code, it.Name, num(it.Sex), opt(it.MinAge), opt(it.MaxAge), it.Indications, num(it.MinHospLevel),
			num(it.MaxQtyPerDay), num(it.MaxQtyPerStay), price, flagEmpty(it.AutoDaily), it.Category, it.ListClass})
	}
	excl := [][]string{{"code_a", "code_b", "scope", "reason"}}
	for _, x := range g.w.Exclusive {
		excl = append(excl, []string{x.A, x.B, x.Scope, x.Reason})
	}
	bundles := [][]string{{"package_code", "component_code", "reason"}}
	for _, x := range g.w.Bundles {
		bundles = append(bundles, []string{x.Package, x.Component, x.Reason})
	}
	ev := [][]string{{"dx_prefix", "evidence_codes", "evidence_categories", "reason"}}
	for _, c := range g.w.Complications {
		ev = append(ev, []string{c.Code, strings.Join(c.Evidence, "|"), "", fmt.Sprintf("%s（%s）须有相应诊疗证据", c.Name, c.Kind)})
	}
	dxp := [][]string{{"proc_prefix", "dx_prefixes", "reason"}}
	procs := make([]string, 0, len(g.procDx))
	for p := range g.procDx {
		procs = append(procs, p)
	}
	slices.Sort(procs)
	for _, p := range procs {
		dxp = append(dxp, []string{p, strings.Join(g.procDx[p], "|"), "手术操作须有相应诊断（临床路径）"})
	}
	for name, rows := range map[string][][]string{"items.csv": items, "exclusive.csv": excl, "bundles.csv": bundles, "dx_evidence.csv": ev, "dx_procedure.csv": dxp} {
		if err := writeCSV(filepath.Join(dir, name), rows); err != nil {
			return err
		}
	}
	detectors := map[string]any{
		"version":                        "synth-" + time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"),
		"split_admission_days":           splitWindowDays,
		"frequent_admission_max":         frequentMax,
		"frequent_admission_window_days": 365,
		"bed_hanging_idle_share":         0.5,
		"excessive_los_factor":           excessiveLOSRatio,
		"excessive_los_cap_days":         60,
		"bed_hanging_care_categories":    []string{"03", "04", "05", "06", "09", "10", "11"},
		"planned_readmission_days":       31,
		"transfer_window_hours":          24,
		"drug_share_max":                 drugShareMax,
		"drug_share_min_total_yuan":      1000,
		"drug_share_exempt_dx":           []string{"Z51"},
		"single_charge_max_yuan":         singleChargeMax,
	}
	b, _ := json.MarshalIndent(detectors, "", "  ")
	return os.WriteFile(filepath.Join(dir, "detectors.json"), append(b, '\n'), 0o644)
}
