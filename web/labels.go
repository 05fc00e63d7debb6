package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/payment"
)

// The cockpit names every id a person sees from the same data the reports use: the
// indicator system (evaluate/indicators.json or the bureau's), the audit rule catalogue
// and category names, payment kinds, grades and lights, the registry's hospital names
// and the scheme's DRG names.

// names are the per-store names, cached with the other summaries until a state change.
type names struct {
	hospitals map[string]string
	drgs      map[string]string
	rules     map[string][2]string
}

func (s *Server) names(ctx context.Context) names {
	v, err := s.cache.get("names|", func() (any, error) {
		n := names{hospitals: map[string]string{}, drgs: map[string]string{}, rules: ruleLabels()}
		hs, err := s.cockpit.Hospitals(ctx)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			n.hospitals[h.Code] = h.Name
		}
		if n.drgs, err = s.cockpit.DRGNames(ctx, s.scheme); err != nil {
			return nil, err
		}
		return n, nil
	})
	if err != nil {
		s.log.Printf("names: %v", err)
		return names{hospitals: map[string]string{}, drgs: map[string]string{}, rules: ruleLabels()}
	}
	return v.(names)
}

func (s *Server) indicatorLabels() map[string][2]string {
	out := map[string][2]string{}
	if s.system != nil {
		for _, ind := range s.system.Indicators {
			out[ind.ID] = [2]string{ind.NameZh, ind.NameEn}
		}
	}
	return out
}

func ruleLabels() map[string][2]string {
	out := map[string][2]string{}
	for id, r := range audit.Rules {
		out[id] = [2]string{r.Name, strings.ReplaceAll(r.Category, "_", " ")}
		if c, ok := audit.CategoryNames[r.Category]; ok {
			out[id] = [2]string{r.Name, c[1]}
		}
	}
	return out
}

// setLabel puts key_zh and key_en on a row.
func setLabel(r row, key string, m map[string][2]string) {
	id, _ := r[key].(string)
	if l, ok := m[id]; ok {
		r[key+"_zh"], r[key+"_en"] = l[0], l[1]
	} else {
		r[key+"_zh"], r[key+"_en"] = id, id
	}
}

func peerLabels(g string) [2]string {
	zh, en := yibao.PeerGroupLabel(g)
	return [2]string{zh, en}
}

// handleLabels returns every name table the UI needs for charts and headings.
func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) {
	n := s.names(r.Context())
	hosp := n.hospitals
	if sc := scope(r); sc != "" {
		hosp = map[string]string{sc: n.hospitals[sc]}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"categories": audit.CategoryNames, "severities": audit.SeverityLabels, "statuses": audit.StatusLabels,
		"rules": ruleLabels(), "kinds": payment.KindLabels, "grades": evaluate.GradeLabels, "lights": evaluate.LightLabels,
		"appeal_states": evaluate.AppealStateLabels, "indicators": s.indicatorLabels(), "hospitals": hosp, "drgs": n.drgs,
		"charge_categories": yibao.ChargeCategoryLabels,
	})
}

// Evidence in English. The audit writes its evidence as Chinese sentences from fixed
// patterns (audit/rules.go, audit/detectors.go); these are the same patterns in English.
// A sentence no pattern matches is shown in Chinese, marked as such (a test on the demo
// region fails when a pattern is missing).
var evidencePatterns = []struct {
	re *regexp.Regexp
	en string
}{
	{regexp.MustCompile(`^(.+?)（(.*?)）在 (.+?) 以相同数量 (\S+)、单价 (\S+) 重复计费（与第 (\S+) 条相同）$`), "$1 ($2) billed again at $3 with the same quantity $4 and unit price $5 (same as line $6)"},
	{regexp.MustCompile(`^(.+?) 当日累计(?:净)?数量 (\S+) 超过限量 (\S+)，超出 (\S+)$`), "$1: quantity $2 on the day exceeds the limit $3 by $4"},
	{regexp.MustCompile(`^(.+?) 本次就诊累计(?:净)?数量 (\S+) 超过限量 (\S+)，超出 (\S+)$`), "$1: quantity $2 in this stay exceeds the limit $3 by $4"},
	{regexp.MustCompile(`^(.+?) 限(男性|女性)使用，患者为(男性|女性|未知性别)$`), "$1 is restricted to ${2} patients; the patient is ${3}"},
	{regexp.MustCompile(`^诊断 (\S+) 仅适用于(男性|女性)，患者为(男性|女性|未知性别)$`), "diagnosis $1 applies only to ${2} patients; the patient is ${3}"},
	{regexp.MustCompile(`^(.+?) 限 (.+?) 岁使用，患者 (\d+) 岁$`), "$1 is restricted to age $2; the patient is $3"},
	{regexp.MustCompile(`^(.+?) 限适应症（(.*)）使用，本次诊断均不符合$`), "$1 is restricted to the indications ($2); no diagnosis of this stay matches"},
	{regexp.MustCompile(`^(.+?) 限 (\d+) 级及以上医院使用，本院为 (\d+) 级$`), "$1 is restricted to hospitals of level $2 and above; this hospital is level $3"},
	{regexp.MustCompile(`^(.+?) 单价 (\S+) 元超过限价 (\S+) 元$`), "$1: unit price $2 yuan exceeds the cap of $3 yuan"},
	{regexp.MustCompile(`^(.+?) 单笔净金额 (\S+) 元超过阈值 (\S+) 元$`), "$1: a single net charge of $2 yuan exceeds the threshold of $3 yuan"},
	{regexp.MustCompile(`^(\S+) 与 (\S+) 在同一(\S+?)内不得同时收取：(.*)$`), "$1 and $2 may not both be charged in the same $3: $4"},
	{regexp.MustCompile(`^(\S+) 已包含在 (\S+) 中，不得另行收费：(.*)$`), "$1 is included in $2 and may not be charged separately: $3"},
	{regexp.MustCompile(`^次要诊断 (\S+) 无相应诊疗证据（应见 (.*?)），疑似高套编码：(.*)$`), "secondary diagnosis $1 has no supporting treatment (expected: $2); suspected upcoding: $3"},
	{regexp.MustCompile(`^手术操作 (\S+) 须有诊断 (.+?) 之一，本次诊断为 (.+?)：(.*)$`), "procedure $1 needs one of the diagnoses $2; this stay has $3: $4"},
	{regexp.MustCompile(`^药品费用 (\S+) 元占住院费用 (\S+) 元的 (\S+)，超过 (\S+)$`), "drugs of $1 yuan are $3 of the stay's $2 yuan, over $4"},
	{regexp.MustCompile(`^(\S+) 于 (\S+) 出院（结算 (\S+)）后 (\d+) 天，同一参保人于 (\S+) 在 (\S+) 因同一主要诊断类目 (\S+) 再次入院（结算 (\S+)）；出院时未登记31天内再住院计划，亦非转院，疑似分解住院$`),
		"$1 discharged the person on $2 (settlement $3); $4 days later, on $5, $6 admitted the same person for the same principal diagnosis category $7 (settlement $8), with no readmission planned at discharge and no transfer: suspected split admission"},
	{regexp.MustCompile(`^出院后 (\d+) 天内（(\S+) 出院）因同一主要诊断类目 (\S+) 再次入院，非计划再入院，疑似分解住院$`), "readmitted within $1 days of discharge ($2) for the same principal diagnosis category $3, unplanned: suspected split admission"},
	{regexp.MustCompile(`^住院 (\d+) 天中有 (\d+) 天除床位、护理等每日自动计费项目外无检查、检验、治疗、手术或用药记录（阈值 (\S+)），疑似挂床住院$`),
		"$2 of $1 days with nothing but the automatic daily charges (bed, nursing): no examination, test, treatment, surgery or drug (threshold $3): suspected bed hanging"},
	{regexp.MustCompile(`^住院 (\d+) 天中有 (\d+) 天无治疗、护理或用药记录（阈值 (\S+)），疑似挂床住院$`), "$2 of $1 days without treatment, nursing or drugs (threshold $3): suspected bed hanging"},
	{regexp.MustCompile(`^入院时间 (.+?) 早于同一参保人在 (.+?) 的住院（(.+?)）出院时间 (.+?)，住院期间重叠$`), "admitted at $1, before the same person's stay at $2 ($3) was discharged at $4: overlapping stays"},
	{regexp.MustCompile(`^(\d+) 天内第 (\d+) 次非计划住院（不含计划再入院与转院接收），超过 (\d+) 次$`), "unplanned admission number $2 within $1 days (planned readmissions and transfers excluded), more than $3"},
	{regexp.MustCompile(`^(\d+) 天内第 (\d+) 次非计划住院，超过 (\d+) 次$`), "unplanned admission number $2 within $1 days, more than $3"},
	{regexp.MustCompile(`^住院 (\d+) 天，超过同组（(.*?)）平均住院日 (\S+) 天的 (\S+) 倍$`), "stay of $1 days, more than $4 times the group's ($2) mean of $3 days"},
	{regexp.MustCompile(`^住院 (\d+) 天，超过 (\d+) 天上限$`), "stay of $1 days, over the limit of $2 days"},
}

// nettingNote is the note the audit appends when refunds were netted.
var nettingNote = regexp.MustCompile(`（原计 (.+?)，已冲减第 (.+?) 条退费，净 (.+?)）$`)

// evidenceWords are the fixed words the patterns capture (sex, scope, age bounds).
var evidenceWords = map[string]string{"男性": "male", "女性": "female", "未知性别": "of unknown sex", "天": "day", "次住院": "stay"}

var groupRef = regexp.MustCompile(`\$\{?(\d)\}?`)

// evidenceEn translates an evidence sentence, or returns it in Chinese marked "(Chinese)".
func evidenceEn(zh string) string {
	note := ""
	if m := nettingNote.FindStringSubmatchIndex(zh); m != nil {
		note = nettingNote.ReplaceAllString(zh[m[0]:], " (billed $1; refund on line $2 netted; net $3)")
		zh = zh[:m[0]]
	}
	for _, p := range evidencePatterns {
		sub := p.re.FindStringSubmatch(zh)
		if sub == nil {
			continue
		}
		for i, v := range sub {
			if w, ok := evidenceWords[v]; ok {
				sub[i] = w
			} else if a, ok := strings.CutSuffix(v, " 及以上"); ok {
				sub[i] = a + " and over"
			} else if a, ok := strings.CutSuffix(v, " 及以下"); ok {
				sub[i] = a + " and under"
			}
		}
		return groupRef.ReplaceAllStringFunc(p.en, func(ref string) string {
			n := int(groupRef.FindStringSubmatch(ref)[1][0] - '0')
			return sub[n]
		}) + note
	}
	if zh == "" {
		return ""
	}
	return "(Chinese) " + zh + note
}
