package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/yibao-dev/yibao"
)

// Severities.
const (
	Definite   = "definite"   // 明确违规
	Suspicious = "suspicious" // 可疑
)

// SeverityZh labels severities in Chinese.
var SeverityZh = map[string]string{Definite: "明确违规", Suspicious: "可疑"}

// Rule describes a typed rule: what it is called, how bad, and how its amount is computed.
type Rule struct {
	ID        string `json:"id"`
	Name      string `json:"name"` // Chinese
	Category  string `json:"category"`
	Severity  string `json:"severity"`
	Behaviour string `json:"behaviour"` // 违规行为类型
	Amount    string `json:"amount"`    // how the amount is computed
}

// Rules is the catalogue of typed rules; ids are stable.
var Rules = map[string]Rule{
	"DUP-001":  {"DUP-001", "重复计费", "duplicate_charge", Definite, "重复收费", "the repeated line's amount"},
	"QTY-DAY":  {"QTY-DAY", "单日超量", "over_quantity", Definite, "超标准收费", "quantity beyond the daily limit × unit price"},
	"QTY-STAY": {"QTY-STAY", "住院期间超量", "over_quantity", Definite, "超标准收费", "quantity beyond the stay limit × unit price"},
	"SEX-001":  {"SEX-001", "限性别项目", "sex_restriction", Definite, "超范围支付", "the line's amount"},
	"SEX-002":  {"SEX-002", "诊断与性别不符", "sex_restriction", Definite, "虚假诊断", "0: assessed on review"},
	"AGE-001":  {"AGE-001", "限年龄项目", "age_restriction", Definite, "超范围支付", "the line's amount"},
	"IND-001":  {"IND-001", "限适应症用药", "indication_restriction", Suspicious, "超范围支付", "the line's amount"},
	"LVL-001":  {"LVL-001", "限医院等级项目", "hosp_level_restriction", Definite, "超范围支付", "the line's amount"},
	"PRC-001":  {"PRC-001", "超标准收费", "price_over_cap", Definite, "超标准收费", "(unit price − cap) × quantity"},
	"EXC-001":  {"EXC-001", "互斥项目重复收费", "exclusive_items", Definite, "重复收费", "the excluded line's amount"},
	"UNB-001":  {"UNB-001", "分解收费", "unbundling", Definite, "分解收费", "the component line's amount"},
	"UPC-001":  {"UPC-001", "高套编码", "upcoding", Suspicious, "虚增诊断", "0: the payment difference is assessed on review"},
	"SPL-001":  {"SPL-001", "分解住院", "split_admission", Suspicious, "分解住院", "0: assessed on review"},
	"BED-001":  {"BED-001", "挂床住院", "bed_hanging", Suspicious, "挂床住院", "charges of the idle days"},
	"OVL-001":  {"OVL-001", "重叠住院", "overlapping_stay", Definite, "虚假住院", "0: assessed on review"},
	"FRQ-001":  {"FRQ-001", "频繁住院", "frequent_admission", Suspicious, "频繁住院", "0: assessed on review"},
	"LOS-001":  {"LOS-001", "超长住院", "excessive_los", Suspicious, "超长住院", "0: assessed on review"},
}

// Finding is one violation: a violating fee line, or a settlement-level finding (Serial
// empty). Related lists fee lines involved but not violating (3101's vola_item_type 2).
type Finding struct {
	SetlID   string    `json:"setl_id"`
	Row      int64     `json:"-"`
	Hospital string    `json:"hospital"`
	Person   string    `json:"-"`
	Serial   string    `json:"feedetl_sn"`
	Related  []string  `json:"related,omitempty"`
	RuleID   string    `json:"rule_id"`
	Category string    `json:"category"`
	Severity string    `json:"severity"`
	Amount   yibao.Fen `json:"amount_fen"`
	Evidence string    `json:"evidence"` // Chinese sentence
}

// Stay is what the cross-settlement detectors need of an inpatient settlement.
type Stay struct {
	SetlID    string
	Row       int64
	Hospital  string
	Person    string
	Admission time.Time
	Discharge time.Time
	Category  string // 3-character principal diagnosis category
	Planned   bool
	LOS       int
	Group     string // DRG, or the 4-character diagnosis category when ungrouped
}

// StayOf extracts the detector view of a settlement.
func StayOf(s *yibao.Settlement, row int64, group string) Stay {
	pdx := s.PrincipalDiagnosis()
	cat := pdx
	if len(cat) > 3 {
		cat = cat[:3]
	}
	if group == "" {
		group = pdx
		if len(group) >= 5 && group[3] == '.' {
			group = group[:5]
		}
	}
	return Stay{SetlID: s.ID, Row: row, Hospital: s.Hospital, Person: s.Patient.Pseudonym, Admission: s.Admission,
		Discharge: s.Discharge, Category: cat, Planned: s.PlannedReadmission, LOS: s.LOS, Group: group}
}

func (kb *KB) finding(s *yibao.Settlement, ruleID, serial string, amount yibao.Fen, format string, args ...any) Finding {
	r := Rules[ruleID]
	return Finding{SetlID: s.ID, Hospital: s.Hospital, Person: s.Patient.Pseudonym, Serial: serial, RuleID: ruleID, Category: r.Category,
		Severity: r.Severity, Amount: amount, Evidence: fmt.Sprintf(format, args...)}
}

func dayOf(t time.Time) int64 { return t.Unix() / 86400 }

// AuditSettlement runs every line- and settlement-level rule on one settlement.
// hospitalLevel 0 means unknown: the settlement's own level (hi_setl_lv) is used, and
// without one the level rule is skipped.
func (kb *KB) AuditSettlement(s *yibao.Settlement, hospitalLevel int) []Finding {
	if hospitalLevel == 0 {
		hospitalLevel = s.SettlementLevel
	}
	var out []Finding
	lines := s.Fees
	// Time order decides which line crosses a quantity limit; serial order breaks ties.
	order := make([]int, len(lines))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lines[order[a]].Time.Before(lines[order[b]].Time) })

	type key struct {
		code       string
		t          int64
		qty, price yibao.Dec6
	}
	seen := map[key]string{}
	perDay := map[string]yibao.Dec6{}
	perStay := map[string]yibao.Dec6{}
	billed := map[string][]int{}
	for _, i := range order {
		l := &lines[i]
		billed[l.ListCode] = append(billed[l.ListCode], i)
		k := key{l.ListCode, l.Time.Unix(), l.Qty, l.Price}
		if first, dup := seen[k]; dup {
			f := kb.finding(s, "DUP-001", l.Serial, l.Amount, "%s（%s）在 %s 以相同数量 %s、单价 %s 重复计费（与第 %s 条相同）",
				l.Name, l.ListCode, l.Time.Format("2006-01-02 15:04:05"), l.Qty, l.Price.String(), first)
			f.Related = []string{first}
			out = append(out, f)
		} else {
			seen[k] = l.Serial
		}
		it := kb.Items[l.ListCode]
		if it == nil || l.Qty <= 0 {
			continue
		}
		if it.MaxQtyPerDay > 0 {
			dk := l.ListCode + "|" + fmt.Sprint(dayOf(l.Time))
			before := perDay[dk]
			perDay[dk] = before + l.Qty
			if perDay[dk] > it.MaxQtyPerDay {
				excess := min(l.Qty, perDay[dk]-it.MaxQtyPerDay)
				out = append(out, kb.finding(s, "QTY-DAY", l.Serial, yibao.MulFen(excess, l.Price),
					"%s 当日累计数量 %s 超过限量 %s，超出 %s", itemName(it, l), perDay[dk], it.MaxQtyPerDay, excess))
			}
		}
		if it.MaxQtyPerStay > 0 {
			before := perStay[l.ListCode]
			perStay[l.ListCode] = before + l.Qty
			if perStay[l.ListCode] > it.MaxQtyPerStay {
				excess := min(l.Qty, perStay[l.ListCode]-it.MaxQtyPerStay)
				out = append(out, kb.finding(s, "QTY-STAY", l.Serial, yibao.MulFen(excess, l.Price),
					"%s 本次就诊累计数量 %s 超过限量 %s，超出 %s", itemName(it, l), perStay[l.ListCode], it.MaxQtyPerStay, excess))
			}
		}
	}
	if s.Patient.Sex == yibao.Male || s.Patient.Sex == yibao.Female {
		for _, d := range s.Diagnoses {
			if want := yibao.DiagnosisSex(d.Code); want != yibao.SexUnknown && want != s.Patient.Sex {
				out = append(out, kb.finding(s, "SEX-002", "", 0, "诊断 %s 仅适用于%s，患者为%s", d.Code, sexZh(want), sexZh(s.Patient.Sex)))
				break
			}
		}
	}
	age := s.Patient.Age
	for i := range lines {
		l := &lines[i]
		it := kb.Items[l.ListCode]
		if it == nil || l.Qty <= 0 {
			continue
		}
		name := itemName(it, l)
		if it.Sex != yibao.SexUnknown && (s.Patient.Sex == yibao.Male || s.Patient.Sex == yibao.Female) && it.Sex != s.Patient.Sex {
			out = append(out, kb.finding(s, "SEX-001", l.Serial, l.Amount, "%s 限%s使用，患者为%s", name, sexZh(it.Sex), sexZh(s.Patient.Sex)))
		}
		if it.MinAge >= 0 && age < it.MinAge || it.MaxAge >= 0 && age > it.MaxAge {
			out = append(out, kb.finding(s, "AGE-001", l.Serial, l.Amount, "%s 限 %s 岁使用，患者 %d 岁", name, ageRange(it), age))
		}
		if len(it.Indications) > 0 && !anyDiagnosisMatches(s, it.Indications) {
			out = append(out, kb.finding(s, "IND-001", l.Serial, l.Amount, "%s 限适应症（%s）使用，本次诊断均不符合", name, strings.Join(it.Indications, "、")))
		}
		if it.MinHospLevel > 0 && hospitalLevel > 0 && hospitalLevel < it.MinHospLevel {
			out = append(out, kb.finding(s, "LVL-001", l.Serial, l.Amount, "%s 限 %d 级及以上医院使用，本院为 %d 级", name, it.MinHospLevel, hospitalLevel))
		}
		if it.MaxPrice > 0 && l.Price > it.MaxPrice {
			over := yibao.MulFen(l.Qty, l.Price-it.MaxPrice)
			out = append(out, kb.finding(s, "PRC-001", l.Serial, over, "%s 单价 %s 元超过限价 %s 元", name, l.Price, it.MaxPrice))
		}
	}
	// Mutually exclusive items: the code_b lines are the violation, the code_a lines related.
	for _, x := range kb.Exclusive {
		as, bs := billed[x.A], billed[x.B]
		if len(as) == 0 || len(bs) == 0 {
			continue
		}
		aDays := map[int64][]string{}
		for _, i := range as {
			aDays[dayOf(lines[i].Time)] = append(aDays[dayOf(lines[i].Time)], lines[i].Serial)
		}
		for _, i := range bs {
			l := &lines[i]
			var related []string
			if x.Scope == "stay" {
				for _, j := range as {
					related = append(related, lines[j].Serial)
				}
			} else {
				related = aDays[dayOf(l.Time)]
			}
			if len(related) == 0 {
				continue
			}
			f := kb.finding(s, "EXC-001", l.Serial, l.Amount, "%s 与 %s 在同一%s内不得同时收取：%s", l.ListCode, x.A, scopeZh(x.Scope), x.Reason)
			f.Related = related
			out = append(out, f)
		}
	}
	// Packages billed with their components: the component lines are the violation.
	for comp, idx := range kb.bundlesBy {
		cs := billed[comp]
		if len(cs) == 0 {
			continue
		}
		for _, bi := range idx {
			b := kb.Bundles[bi]
			ps := billed[b.Package]
			if len(ps) == 0 {
				continue
			}
			for _, i := range cs {
				l := &lines[i]
				f := kb.finding(s, "UNB-001", l.Serial, l.Amount, "%s 已包含在 %s 中，不得另行收费：%s", l.ListCode, b.Package, b.Reason)
				for _, j := range ps {
					f.Related = append(f.Related, lines[j].Serial)
				}
				out = append(out, f)
			}
			break
		}
	}
	// Listed complications need evidence among the settlement's items or charge categories.
	if len(kb.Evidence) > 0 && len(s.Diagnoses) > 1 {
		cats := map[string]bool{}
		for i := range lines {
			cats[lines[i].Category] = true
		}
		reported := false
		for _, d := range s.Diagnoses[1:] {
			for _, ev := range kb.Evidence {
				if reported || !strings.HasPrefix(d.Code, ev.Prefix) {
					continue
				}
				found := false
				for _, c := range ev.Codes {
					if len(billed[c]) > 0 {
						found = true
					}
				}
				for _, c := range ev.Categories {
					if cats[c] {
						found = true
					}
				}
				if !found {
					out = append(out, kb.finding(s, "UPC-001", "", 0, "次要诊断 %s 无相应诊疗证据（应见 %s），疑似高套编码：%s",
						d.Code, strings.Join(append(append([]string{}, ev.Codes...), ev.Categories...), "、"), ev.Reason))
					reported = true // one finding per settlement
				}
			}
		}
	}
	if s.Inpatient && s.LOS > 0 {
		out = append(out, kb.bedHanging(s)...)
	}
	return append(out, kb.auditCustom(s, hospitalLevel)...)
}

// bedHanging flags a stay most of whose days carry no treatment, surgery, nursing or drug
// line; the amount is what was charged on those days.
func (kb *KB) bedHanging(s *yibao.Settlement) []Finding {
	active := map[int64]bool{}
	charged := map[int64]yibao.Fen{}
	start := dayOf(time.Date(s.Admission.Year(), s.Admission.Month(), s.Admission.Day(), 0, 0, 0, 0, time.UTC))
	for i := range s.Fees {
		l := &s.Fees[i]
		d := dayOf(l.Time) - start
		charged[d] += l.Amount
		switch l.Category {
		case yibao.CatTreatment, yibao.CatSurgery, yibao.CatNursing, yibao.CatWesternDrug, yibao.CatHerbal, yibao.CatPatentDrug:
			active[d] = true
		}
	}
	idle := 0
	var amount yibao.Fen
	for d := int64(0); d < int64(s.LOS); d++ {
		if !active[d] {
			idle++
			amount += charged[d]
		}
	}
	if float64(idle) <= kb.Detectors.BedHangingIdleShare*float64(s.LOS) {
		return nil
	}
	return []Finding{kb.finding(s, "BED-001", "", amount, "住院 %d 天中有 %d 天无治疗、护理或用药记录（阈值 %.0f%%），疑似挂床住院",
		s.LOS, idle, kb.Detectors.BedHangingIdleShare*100)}
}

func itemName(it *Item, l *yibao.FeeLine) string {
	if l.Name != "" {
		return l.Name
	}
	if it.Name != "" {
		return it.Name
	}
	return l.ListCode
}

func anyDiagnosisMatches(s *yibao.Settlement, prefixes []string) bool {
	for _, d := range s.Diagnoses {
		for _, p := range prefixes {
			if strings.HasPrefix(d.Code, p) {
				return true
			}
		}
	}
	return false
}

func sexZh(s yibao.Sex) string {
	switch s {
	case yibao.Male:
		return "男性"
	case yibao.Female:
		return "女性"
	}
	return "未知性别"
}

func ageRange(it *Item) string {
	switch {
	case it.MinAge >= 0 && it.MaxAge >= 0:
		return fmt.Sprintf("%d–%d", it.MinAge, it.MaxAge)
	case it.MinAge >= 0:
		return fmt.Sprintf("%d 及以上", it.MinAge)
	default:
		return fmt.Sprintf("%d 及以下", it.MaxAge)
	}
}

func scopeZh(scope string) string {
	if scope == "stay" {
		return "次住院"
	}
	return "天"
}
