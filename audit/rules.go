package audit

import (
	"fmt"
	"math"
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
// AutoConfirm marks the few definite rules that may be confirmed without a reviewer
// (docs/knowledge-base.md, "Confirmation policy"): their facts are all on the netted fee
// line and the knowledge base, so a hospital has nothing to explain that the data does not
// already say.
type Rule struct {
	ID          string `json:"id"`
	Name        string `json:"name"` // Chinese
	Category    string `json:"category"`
	Severity    string `json:"severity"`
	Behaviour   string `json:"behaviour"` // 违规行为类型
	Amount      string `json:"amount"`    // how the amount is computed
	AutoConfirm bool   `json:"auto_confirm"`
}

func rule(id, name, cat, sev, bhv, amount string, auto bool) Rule {
	return Rule{ID: id, Name: name, Category: cat, Severity: sev, Behaviour: bhv, Amount: amount, AutoConfirm: auto}
}

// Rules is the catalogue of typed rules; ids are stable.
var Rules = map[string]Rule{
	"DUP-001":  rule("DUP-001", "重复计费", "duplicate_charge", Definite, "重复收费", "the repeated line's net amount", false),
	"QTY-DAY":  rule("QTY-DAY", "单日超量", "over_quantity", Definite, "超标准收费", "net quantity beyond the daily limit × unit price", true),
	"QTY-STAY": rule("QTY-STAY", "住院期间超量", "over_quantity", Definite, "超标准收费", "net quantity beyond the stay limit × unit price", true),
	"SEX-001":  rule("SEX-001", "限性别项目", "sex_restriction", Definite, "超范围支付", "the line's net amount", true),
	"SEX-002":  rule("SEX-002", "诊断与性别不符", "sex_restriction", Definite, "虚假诊断", "0: assessed on review", false),
	"AGE-001":  rule("AGE-001", "限年龄项目", "age_restriction", Definite, "超范围支付", "the line's net amount", true),
	"IND-001":  rule("IND-001", "限适应症用药", "indication_restriction", Suspicious, "超范围支付", "the line's net amount", false),
	"LVL-001":  rule("LVL-001", "限医院等级项目", "hosp_level_restriction", Definite, "超范围支付", "the line's net amount", true),
	"PRC-001":  rule("PRC-001", "超标准收费", "price_over_cap", Definite, "超标准收费", "(unit price − cap) × net quantity", true),
	"EXC-001":  rule("EXC-001", "互斥项目重复收费", "exclusive_items", Definite, "重复收费", "the excluded line's net amount", true),
	"UNB-001":  rule("UNB-001", "分解收费", "unbundling", Definite, "分解收费", "the component line's net amount", true),
	"UPC-001":  rule("UPC-001", "高套编码", "upcoding", Suspicious, "虚增诊断", "0: the payment difference is assessed on review", false),
	"DXP-001":  rule("DXP-001", "诊断与手术操作不符", "dx_procedure_mismatch", Suspicious, "虚假诊疗", "0: assessed on review", false),
	"DRG-SHR":  rule("DRG-SHR", "药品费用占比过高", "drug_share", Suspicious, "过度诊疗", "the drug cost above the share: (drugs − share × total) ÷ (1 − share)", false),
	"HIGH-001": rule("HIGH-001", "单笔费用超阈值", "high_single_charge", Suspicious, "过度诊疗", "the line's net amount (at risk)", false),
	"SPL-001":  rule("SPL-001", "分解住院", "split_admission", Suspicious, "分解住院", "0: assessed on review", false),
	"BED-001":  rule("BED-001", "挂床住院", "bed_hanging", Suspicious, "挂床住院", "net charges of the idle days", false),
	"OVL-001":  rule("OVL-001", "重叠住院", "overlapping_stay", Definite, "虚假住院", "0: assessed on review", false),
	"FRQ-001":  rule("FRQ-001", "频繁住院", "frequent_admission", Suspicious, "频繁住院", "0: assessed on review", false),
	"LOS-001":  rule("LOS-001", "超长住院", "excessive_los", Suspicious, "超长住院", "0: assessed on review", false),
}

// AutoConfirmable reports whether a finding may be confirmed without review: a typed
// definite rule marked AutoConfirm. Custom (CEL) rules never are.
func AutoConfirmable(f Finding) bool {
	r, ok := Rules[f.RuleID]
	return ok && r.AutoConfirm && f.Severity == Definite
}

// Finding is one violation: a violating fee line, or a settlement-level finding (Serial
// empty). Related lists fee lines involved but not violating (3101's vola_item_type 2).
// Other names the other settlement of a cross-settlement finding (the readmission of a
// split admission, the earlier stay of an overlap), so that either stay's audit can show it.
type Finding struct {
	SetlID   string    `json:"setl_id"`
	Row      int64     `json:"-"`
	Hospital string    `json:"hospital"`
	Person   string    `json:"-"`
	Serial   string    `json:"feedetl_sn"`
	Related  []string  `json:"related,omitempty"`
	Other    string    `json:"other_setl_id,omitempty"`
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
	// Planned is this stay's days_rinp_flag_31 = 2 (是否有出院31天内再住院计划: 有), recorded
	// at ITS discharge: it makes the NEXT admission within 31 days a planned one.
	Planned     bool
	Disposition string // dscg_way: 2 / 3 are transfers
	LOS         int
	Group       string // DRG, or the 4-character diagnosis category when ungrouped
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
		Discharge: s.Discharge, Category: cat, Planned: s.PlannedReadmission, Disposition: s.Disposition, LOS: s.LOS, Group: group}
}

func (kb *KB) finding(s *yibao.Settlement, ruleID, serial string, amount yibao.Fen, format string, args ...any) Finding {
	r := Rules[ruleID]
	return Finding{SetlID: s.ID, Hospital: s.Hospital, Person: s.Patient.Pseudonym, Serial: serial, RuleID: ruleID, Category: r.Category,
		Severity: r.Severity, Amount: amount, Evidence: fmt.Sprintf(format, args...)}
}

func dayOf(t time.Time) int64 { return t.Unix() / 86400 }

type codeDay struct {
	code string
	day  int64
}

// AuditSettlement runs every line- and settlement-level rule on one settlement.
// hospitalLevel 0 means unknown: the settlement's own level (hi_setl_lv) is used, and
// without one the level rule is skipped.
//
// Fee lines are netted first (netting.go): refunds are taken off the charges they reverse,
// fully refunded charges and refund lines are never judged, and every amount is a net one.
func (kb *KB) AuditSettlement(s *yibao.Settlement, hospitalLevel int) []Finding {
	if hospitalLevel == 0 {
		hospitalLevel = s.SettlementLevel
	}
	var out []Finding
	lines := s.Fees
	nt := net(lines)

	// Lines are in time order, so a repeat is among the lines of the same instant and a
	// day's quantities are complete when the day changes: no map over the whole stay.
	perDay := map[string]yibao.Dec6{}
	var curDay int64 = -1 << 62
	var perStay map[string]yibao.Dec6
	var billed map[string][]int // watched item (exclusive, bundle, evidence) → indexes into nt.lines
	runStart := 0               // first line of the current instant
	for k := range nt.lines {
		n := &nt.lines[k]
		l := &lines[n.i]
		if kb.watched[l.ListCode] {
			if billed == nil {
				billed = map[string][]int{}
			}
			billed[l.ListCode] = append(billed[l.ListCode], k)
		}
		if k > 0 && !l.Time.Equal(lines[nt.lines[k-1].i].Time) {
			runStart = k
		}
		// Two lines with different order numbers are two orders, not a repeat.
		for j := runStart; j < k; j++ {
			fn := &nt.lines[j]
			fl := &lines[fn.i]
			if fl.ListCode == l.ListCode && fl.Order == l.Order && fn.qty == n.qty && fl.Price == l.Price {
				f := kb.finding(s, "DUP-001", l.Serial, n.amount, "%s（%s）在 %s 以相同数量 %s、单价 %s 重复计费（与第 %s 条相同）%s",
					l.Name, l.ListCode, l.Time.Format("2006-01-02 15:04:05"), n.qty, l.Price.String(), fl.Serial, nettingNote(lines, n))
				f.Related = []string{fl.Serial}
				out = append(out, f)
				break
			}
		}
		it := kb.Items[l.ListCode]
		if it == nil {
			continue
		}
		if it.MaxQtyPerDay > 0 {
			if d := dayOf(l.Time); d != curDay {
				clear(perDay)
				curDay = d
			}
			total := perDay[l.ListCode] + n.qty
			perDay[l.ListCode] = total
			if total > it.MaxQtyPerDay {
				excess := min(n.qty, total-it.MaxQtyPerDay)
				out = append(out, kb.finding(s, "QTY-DAY", l.Serial, yibao.MulFen(excess, l.Price),
					"%s 当日累计净数量 %s 超过限量 %s，超出 %s%s", itemName(it, l), total, it.MaxQtyPerDay, excess, nettingNote(lines, n)))
			}
		}
		if it.MaxQtyPerStay > 0 {
			if perStay == nil {
				perStay = map[string]yibao.Dec6{}
			}
			if _, seenItem := perStay[l.ListCode]; !seenItem {
				perStay[l.ListCode] = -nt.unmatchedQty[l.ListCode] // unmatched refunds of the item lower its stay total
			}
			total := perStay[l.ListCode] + n.qty
			perStay[l.ListCode] = total
			if total > it.MaxQtyPerStay {
				excess := min(n.qty, total-it.MaxQtyPerStay)
				out = append(out, kb.finding(s, "QTY-STAY", l.Serial, yibao.MulFen(excess, l.Price),
					"%s 本次就诊累计净数量 %s 超过限量 %s，超出 %s%s", itemName(it, l), total, it.MaxQtyPerStay, excess, nettingNote(lines, n)))
			}
		}
	}
	if s.Patient.Sex == yibao.Male || s.Patient.Sex == yibao.Female {
		for _, d := range s.Diagnoses {
			if d.TCM() {
				continue
			}
			if want := yibao.DiagnosisSex(d.Code); want != yibao.SexUnknown && want != s.Patient.Sex {
				out = append(out, kb.finding(s, "SEX-002", "", 0, "诊断 %s 仅适用于%s，患者为%s", d.Code, sexZh(want), sexZh(s.Patient.Sex)))
				break
			}
		}
	}
	age := s.Patient.Age
	single := yibao.Fen(kb.Detectors.SingleChargeMaxYuan * 100)
	for k := range nt.lines {
		n := &nt.lines[k]
		l := &lines[n.i]
		if single > 0 && n.amount > single {
			out = append(out, kb.finding(s, "HIGH-001", l.Serial, n.amount, "%s 单笔净金额 %s 元超过阈值 %s 元%s",
				l.Name, n.amount, single, nettingNote(lines, n)))
		}
		it := kb.Items[l.ListCode]
		if it == nil {
			continue
		}
		name := itemName(it, l)
		if it.Sex != yibao.SexUnknown && (s.Patient.Sex == yibao.Male || s.Patient.Sex == yibao.Female) && it.Sex != s.Patient.Sex {
			out = append(out, kb.finding(s, "SEX-001", l.Serial, n.amount, "%s 限%s使用，患者为%s", name, sexZh(it.Sex), sexZh(s.Patient.Sex)))
		}
		if it.MinAge >= 0 && age < it.MinAge || it.MaxAge >= 0 && age > it.MaxAge {
			out = append(out, kb.finding(s, "AGE-001", l.Serial, n.amount, "%s 限 %s 岁使用，患者 %d 岁", name, ageRange(it), age))
		}
		if len(it.Indications) > 0 && !anyDiagnosisMatches(s, it.Indications) {
			out = append(out, kb.finding(s, "IND-001", l.Serial, n.amount, "%s 限适应症（%s）使用，本次诊断均不符合", name, strings.Join(it.Indications, "、")))
		}
		if it.MinHospLevel > 0 && hospitalLevel > 0 && hospitalLevel < it.MinHospLevel {
			out = append(out, kb.finding(s, "LVL-001", l.Serial, n.amount, "%s 限 %d 级及以上医院使用，本院为 %d 级", name, it.MinHospLevel, hospitalLevel))
		}
		if it.MaxPrice > 0 && l.Price > it.MaxPrice {
			over := yibao.MulFen(n.qty, l.Price-it.MaxPrice)
			out = append(out, kb.finding(s, "PRC-001", l.Serial, over, "%s 单价 %s 元超过限价 %s 元%s", name, l.Price, it.MaxPrice, nettingNote(lines, n)))
		}
	}
	// Mutually exclusive items: the code_b lines are the violation, the code_a lines related.
	for _, x := range kb.Exclusive {
		as, bs := billed[x.A], billed[x.B]
		if len(as) == 0 || len(bs) == 0 {
			continue
		}
		for _, kb2 := range bs {
			n := &nt.lines[kb2]
			l := &lines[n.i]
			var related []string
			for _, ka := range as {
				la := &lines[nt.lines[ka].i]
				if x.Scope == "stay" || dayOf(la.Time) == dayOf(l.Time) {
					related = append(related, la.Serial)
				}
			}
			if len(related) == 0 {
				continue
			}
			f := kb.finding(s, "EXC-001", l.Serial, n.amount, "%s 与 %s 在同一%s内不得同时收取：%s", l.ListCode, x.A, scopeZh(x.Scope), x.Reason)
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
			for _, kc := range cs {
				n := &nt.lines[kc]
				l := &lines[n.i]
				f := kb.finding(s, "UNB-001", l.Serial, n.amount, "%s 已包含在 %s 中，不得另行收费：%s", l.ListCode, b.Package, b.Reason)
				for _, kp := range ps {
					f.Related = append(f.Related, lines[nt.lines[kp].i].Serial)
				}
				out = append(out, f)
			}
			break
		}
	}
	// Listed complications need evidence among the settlement's (netted) items or charge categories.
	if len(kb.Evidence) > 0 && len(s.Diagnoses) > 1 {
		var cats map[string]bool
		reported := false
		for _, d := range s.Diagnoses[1:] {
			if d.TCM() {
				continue
			}
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
				if len(ev.Categories) > 0 && cats == nil {
					cats = map[string]bool{}
					for k := range nt.lines {
						cats[lines[nt.lines[k].i].Category] = true
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
	out = append(out, kb.dxProcedure(s)...)
	if s.Inpatient {
		out = append(out, kb.drugShare(s, lines, &nt)...)
	}
	if s.Inpatient && s.LOS > 0 {
		out = append(out, kb.bedHanging(s, lines, &nt)...)
	}
	return append(out, kb.auditCustom(s, hospitalLevel, lines, &nt)...)
}

// dxProcedure checks each procedure listed in dx_procedure.csv against the western
// diagnoses: one of them must start with a listed prefix. One finding per settlement.
func (kb *KB) dxProcedure(s *yibao.Settlement) []Finding {
	if len(kb.DxProcedure) == 0 {
		return nil
	}
	for _, p := range s.Procedures {
		for _, rule := range kb.DxProcedure {
			if !strings.HasPrefix(p.Code, rule.ProcPrefix) || anyWesternDiagnosisMatches(s, rule.DxPrefixes) {
				continue
			}
			var dx []string
			for _, d := range s.Diagnoses {
				if !d.TCM() {
					dx = append(dx, d.Code)
				}
			}
			return []Finding{kb.finding(s, "DXP-001", "", 0, "手术操作 %s 须有诊断 %s 之一，本次诊断为 %s：%s",
				p.Code, strings.Join(rule.DxPrefixes, "、"), strings.Join(dx, "、"), rule.Reason)}
		}
	}
	return nil
}

// drugShare flags an inpatient stay whose drugs (charge categories 09–11, net) are more
// than drug_share_max of its net total. The amount is the drug cost that would have to go
// for the share to come down to the threshold.
func (kb *KB) drugShare(s *yibao.Settlement, lines []yibao.FeeLine, nt *netted) []Finding {
	share := kb.Detectors.DrugShareMax
	if share <= 0 {
		return nil
	}
	pdx := s.PrincipalDiagnosis()
	for _, p := range kb.Detectors.DrugShareExemptDx {
		if strings.HasPrefix(pdx, p) {
			return nil
		}
	}
	var drugs, total yibao.Fen
	for k := range nt.lines {
		n := &nt.lines[k]
		total += n.amount
		switch lines[n.i].Category {
		case yibao.CatWesternDrug, yibao.CatHerbal, yibao.CatPatentDrug:
			drugs += n.amount
		}
	}
	minTotal := yibao.Fen(kb.Detectors.DrugShareMinTotalYuan * 100)
	if total <= 0 || total < minTotal || float64(drugs) <= share*float64(total) {
		return nil
	}
	excess := yibao.Fen(math.Round((float64(drugs) - share*float64(total)) / (1 - share)))
	return []Finding{kb.finding(s, "DRG-SHR", "", excess, "药品费用 %s 元占住院费用 %s 元的 %.1f%%，超过 %.0f%%",
		drugs, total, 100*float64(drugs)/float64(total), share*100)}
}

// bedHanging flags a stay most of whose days carry no active care: no line of a care
// charge category (bed_hanging_care_categories) other than an automatic daily item
// (items.csv auto_daily). Bed, nursing, meals and the like are billed every day whether
// or not the patient is treated, so they never count. The amount is the net charges of
// the idle days.
func (kb *KB) bedHanging(s *yibao.Settlement, lines []yibao.FeeLine, nt *netted) []Finding {
	los := int64(s.LOS)
	var activeBuf [64]bool
	var chargedBuf [64]yibao.Fen
	active, charged := activeBuf[:0], chargedBuf[:0]
	if los <= 64 {
		active, charged = activeBuf[:los], chargedBuf[:los]
	} else {
		active, charged = make([]bool, los), make([]yibao.Fen, los)
	}
	start := dayOf(time.Date(s.Admission.Year(), s.Admission.Month(), s.Admission.Day(), 0, 0, 0, 0, time.UTC))
	for k := range nt.lines {
		n := &nt.lines[k]
		l := &lines[n.i]
		d := dayOf(l.Time) - start
		if d < 0 || d >= los {
			continue
		}
		charged[d] += n.amount
		if kb.careCats[l.Category] {
			if it := kb.Items[l.ListCode]; it == nil || !it.AutoDaily {
				active[d] = true
			}
		}
	}
	idle := 0
	var amount yibao.Fen
	for d := range active {
		if !active[d] {
			idle++
			amount += charged[d]
		}
	}
	if float64(idle) <= kb.Detectors.BedHangingIdleShare*float64(s.LOS) {
		return nil
	}
	return []Finding{kb.finding(s, "BED-001", "", amount, "住院 %d 天中有 %d 天除床位、护理等每日自动计费项目外无检查、检验、治疗、手术或用药记录（阈值 %.0f%%），疑似挂床住院",
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
	return anyWesternDiagnosisMatches(s, prefixes)
}

// anyWesternDiagnosisMatches: restrictions and consistency rules are written in ICD-10, so
// TCM diagnoses never satisfy them.
func anyWesternDiagnosisMatches(s *yibao.Settlement, prefixes []string) bool {
	for _, d := range s.Diagnoses {
		if d.TCM() {
			continue
		}
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

// CategoryNames are the Chinese and English names of the finding categories, for every
// report and screen that shows one.
var CategoryNames = map[string][2]string{
	"duplicate_charge": {"重复计费", "duplicate charge"}, "over_quantity": {"超量收费", "over quantity"},
	"sex_restriction": {"限性别", "sex restriction"}, "age_restriction": {"限年龄", "age restriction"},
	"indication_restriction": {"限适应症", "indication restriction"}, "hosp_level_restriction": {"限医院等级", "hospital-level restriction"},
	"price_over_cap": {"超标准收费", "price over cap"}, "exclusive_items": {"互斥项目重复收费", "mutually exclusive items"},
	"unbundling": {"分解收费", "unbundling"}, "upcoding": {"高套编码", "up-coding"},
	"dx_procedure_mismatch": {"诊断与手术操作不符", "diagnosis–procedure mismatch"}, "drug_share": {"药占比过高", "high drug share"},
	"high_single_charge": {"单笔费用超阈值", "high single charge"}, "split_admission": {"分解住院", "split admission"},
	"bed_hanging": {"挂床住院", "bed-hanging"}, "overlapping_stay": {"重叠住院", "overlapping stays"},
	"frequent_admission": {"频繁住院", "frequent admission"}, "excessive_los": {"超长住院", "excessive length of stay"},
}

// CategoryZh returns the Chinese name of a category, or the id when it has none.
func CategoryZh(c string) string {
	if n, ok := CategoryNames[c]; ok {
		return n[0]
	}
	return c
}
