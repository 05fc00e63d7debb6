package indicators

import "sort"

// Definition documents one indicator computation and computes it from Facts.
type Definition struct {
	ID          string `json:"id"` // the computation name indicator systems refer to
	NameZh      string `json:"name_zh"`
	NameEn      string `json:"name_en"`
	Unit        string `json:"unit,omitempty"`
	Definition  string `json:"definition"`
	Numerator   string `json:"numerator"`
	Denominator string `json:"denominator"`
	Exclusions  string `json:"exclusions"`
	Source      string `json:"source"`
	// MinCases is the default smallest denominator (in cases) for a value; below it the
	// value is "no data" (local choice, overridable per indicator in the system).
	MinCases int `json:"min_cases"`
	// Value returns the value, the number of cases behind it, and false when there is no
	// data (an empty denominator or a source that was not recorded).
	Value func(f *Facts) (v float64, n int, ok bool) `json:"-"`
}

func rate(num, den float64, scale float64) (float64, int, bool) {
	if den <= 0 {
		return 0, 0, false
	}
	return scale * num / den, int(den), true
}

const (
	srcManual  = "国家三级公立医院绩效考核操作手册（2024 版）"
	srcDRGEval = "DRG 绩效评价（CN-DRG 区域绩效评价方法，北京市医院管理研究所）"
)

var definitions = []Definition{
	{ID: "cmi", NameZh: "病例组合指数（CMI）", NameEn: "case-mix index", MinCases: 30,
		Definition: "入组病例的平均权重 CMI = Σ RW / 入组病例数", Numerator: "入组且有权重病例的相对权重 RW 之和",
		Denominator: "入组且有权重的病例数", Exclusions: "未入组、校验失败的病例",
		Source: srcDRGEval + "；" + srcManual + " 指标 CMI；RW 取本期付费权重表（docs/payment.md）",
		Value:  func(f *Facts) (float64, int, bool) { return rate(f.SumRW, float64(f.Weighted), 1) }},
	{ID: "drg_count", NameZh: "DRG 组数", NameEn: "DRG groups covered", MinCases: 30,
		Definition: "出院病例覆盖的 DRG 组数", Numerator: "不同 DRG 的个数", Denominator: "（无；最少病例数按入组病例计）",
		Exclusions: "未入组病例", Source: srcDRGEval + "（能力：DRG 组数）",
		Value: func(f *Facts) (float64, int, bool) { return float64(f.DRGs), f.Grouped, f.Grouped > 0 }},
	{ID: "time_index", NameZh: "时间消耗指数", NameEn: "time-efficiency index", MinCases: 30,
		Definition: "k_i = e_i / E_i（本单位 DRG i 的平均住院日 / 全区同组平均住院日），指数 = Σ k_i n_i / Σ n_i",
		Numerator:  "Σ k_i n_i（= 各病例住院日除以本组全区平均住院日之和）", Denominator: "Σ n_i（入组病例数）",
		Exclusions: "未入组病例", Source: srcDRGEval + "（效率：时间消耗指数）",
		Value: func(f *Facts) (float64, int, bool) { return rate(f.TimeK, f.TimeN, 1) }},
	{ID: "cost_index", NameZh: "费用消耗指数", NameEn: "cost-efficiency index", MinCases: 30,
		Definition: "k_i = e_i / E_i（本单位 DRG i 的例均费用 / 全区同组例均费用），指数 = Σ k_i n_i / Σ n_i",
		Numerator:  "Σ k_i n_i", Denominator: "Σ n_i（入组病例数）", Exclusions: "未入组病例",
		Source: srcDRGEval + "（效率：费用消耗指数）",
		Value:  func(f *Facts) (float64, int, bool) { return rate(f.CostK, f.CostN, 1) }},
	{ID: "time_index_routine", NameZh: "时间消耗指数（常规病组）", NameEn: "time-efficiency index, routine DRGs", MinCases: 30,
		Definition: "同时间消耗指数，仅常规病组（全区手术病例占比 < 50% 的 DRG）", Numerator: "Σ k_i n_i（常规病组）",
		Denominator: "常规病组入组病例数", Exclusions: "未入组病例、技术型病组",
		Source: srcDRGEval + "；病组按技术依赖分类为本地选择", Value: func(f *Facts) (float64, int, bool) { return rate(f.TimeKRoutine, f.TimeNRoutine, 1) }},
	{ID: "cost_index_routine", NameZh: "费用消耗指数（常规病组）", NameEn: "cost-efficiency index, routine DRGs", MinCases: 30,
		Definition: "同费用消耗指数，仅常规病组", Numerator: "Σ k_i n_i（常规病组）", Denominator: "常规病组入组病例数",
		Exclusions: "未入组病例、技术型病组", Source: srcDRGEval + "；病组按技术依赖分类为本地选择",
		Value: func(f *Facts) (float64, int, bool) { return rate(f.CostKRoutine, f.CostNRoutine, 1) }},
	{ID: "cost_index_tech", NameZh: "费用消耗指数（技术型病组）", NameEn: "cost-efficiency index, technology-dependent DRGs", MinCases: 30,
		Definition: "同费用消耗指数，仅技术型病组（全区手术病例占比 ≥ 50% 的 DRG）", Numerator: "Σ k_i n_i（技术型病组）",
		Denominator: "技术型病组入组病例数", Exclusions: "未入组病例、常规病组；无技术型病例的单位为无数据",
		Source: srcDRGEval + "；病组按技术依赖分类为本地选择", Value: func(f *Facts) (float64, int, bool) { return rate(f.CostKTech, f.CostNTech, 1) }},
	{ID: "tech_share", NameZh: "技术型病组占比（%）", NameEn: "technology-dependent DRG share (%)", Unit: "%", MinCases: 30,
		Definition: "技术型病组病例占入组病例的百分比", Numerator: "技术型病组病例数", Denominator: "入组病例数",
		Exclusions: "未入组病例", Source: "本地选择（技术绩效联动）",
		Value: func(f *Facts) (float64, int, bool) { return rate(float64(f.TechCases), float64(f.Grouped), 100) }},
	{ID: "low_risk_mortality", NameZh: "低风险组死亡率（%）", NameEn: "low-risk-group mortality (%)", Unit: "%", MinCases: 30,
		Definition: "DRG 死亡风险按标准化法分级：全区各 DRG 住院死亡率取自然对数，z = (ln m_g − 均值) / 标准差（样本标准差），z < −1 为低风险组；无死亡的 DRG 为零风险组，不参与计算也不计入低风险组",
		Numerator:  "低风险组病例中的院内死亡数（离院方式 5）", Denominator: "低风险组病例数",
		Exclusions: "未入组病例；零风险组（全区无死亡的 DRG）",
		Source:     srcManual + " 指标“低风险组病例死亡率”；张文欣等，基于 DRGs 数据的死亡病例分析，现代医院 2018(11)（零/低/中低/中高/高风险五级）",
		Value: func(f *Facts) (float64, int, bool) {
			return rate(float64(f.LowRiskDeaths), float64(f.LowRiskCases), 100)
		}},
	{ID: "readmission_31", NameZh: "31天非计划再入院率（%）", NameEn: "31-day unplanned readmission (%)", Unit: "%", MinCases: 30,
		Definition:  "本期出院（存活）患者中，出院后 31 天内（按日历日，含当天）在全区任一医院再次住院且非计划者所占比例；再入院可发生在期末之后",
		Numerator:   "出院后下一次住院在 31 天内、且不属计划再入院或转院的指标住院数",
		Denominator: "本期出院且非死亡的住院数（指标住院）",
		Exclusions:  "死亡出院；前次住院出院时 days_rinp_flag_31 = 2（有 31 天内再住院计划）；前次离院方式 2/3（医嘱转院/转社区）且 24 小时内入院（转院，同一诊疗过程）",
		Source:      "《三级医院评审标准（2022 年版）》医疗质量安全指标“住院患者出院后 0–31 天非预期再住院率”；医疗保障基金结算清单填写规范（days_rinp_flag_31 记于前次住院）",
		Value: func(f *Facts) (float64, int, bool) {
			return rate(float64(f.Readmissions31), float64(f.IndexStays), 100)
		}},
	{ID: "alos", NameZh: "平均住院日", NameEn: "average length of stay", Unit: "天", MinCases: 30,
		Definition: "出院患者住院天数之和 / 出院人次", Numerator: "住院天数之和", Denominator: "出院人次", Exclusions: "无",
		Source: srcManual + " 指标“平均住院日”", Value: func(f *Facts) (float64, int, bool) { return rate(f.LOS, float64(f.Cases), 1) }},
	{ID: "drug_share", NameZh: "药占比（%）", NameEn: "drug share of cost (%)", Unit: "%", MinCases: 30,
		Definition: "药品费用（西药、中药饮片、中成药）占医疗费用的百分比", Numerator: "费用类别 09/10/11 金额", Denominator: "全部费用明细金额",
		Exclusions: "门诊", Source: srcManual + "（费用控制：药占比）", Value: func(f *Facts) (float64, int, bool) {
			v, _, ok := rate(float64(f.DrugFen), float64(f.FeeFen), 100)
			return v, f.Cases, ok
		}},
	{ID: "consumable_share", NameZh: "耗占比（%）", NameEn: "consumables share of cost (%)", Unit: "%", MinCases: 30,
		Definition: "卫生材料费用占医疗费用的百分比", Numerator: "费用类别 08 金额", Denominator: "全部费用明细金额",
		Exclusions: "门诊", Source: srcManual + "（费用控制：耗占比）", Value: func(f *Facts) (float64, int, bool) {
			v, _, ok := rate(float64(f.ConsFen), float64(f.FeeFen), 100)
			return v, f.Cases, ok
		}},
	{ID: "cost_growth", NameZh: "次均费用增长率（较全区，百分点）", NameEn: "per-case cost growth vs region (pp)", Unit: "pp", MinCases: 30,
		Definition: "本单位例均费用较上一年的增长率减去全区例均费用增长率", Numerator: "本期例均费用 / 上期例均费用 − 1 − 全区增长率",
		Denominator: "（比值；最少病例数取本期与上期较少者）", Exclusions: "上期无病例的单位为无数据",
		Source: srcManual + "（住院次均费用增幅）", Value: func(f *Facts) (float64, int, bool) {
			if f.Cases == 0 || f.PrevCases == 0 || f.PrevCostPerCase <= 0 {
				return 0, 0, false
			}
			return 100 * ((f.CostYuan/float64(f.Cases))/f.PrevCostPerCase - 1 - f.RegionGrowth), min(f.Cases, f.PrevCases), true
		}},
	{ID: "surgical_share", NameZh: "手术患者占比（%）", NameEn: "surgical case share (%)", Unit: "%", MinCases: 30,
		Definition: "出院患者中有手术（ICD-9-CM-3 手术类操作）者的比例", Numerator: "手术患者数", Denominator: "出院人次",
		Exclusions: "无", Source: srcManual + " 指标“出院患者手术占比”",
		Value: func(f *Facts) (float64, int, bool) { return rate(float64(f.Surgical), float64(f.Cases), 100) }},
	{ID: "findings_per_100", NameZh: "每百例审核问题病例数", NameEn: "stays with audit findings per 100", MinCases: 30,
		Definition: "有已确认审核问题的住院病例数 / 出院人次 × 100（按结算计，一例多条只计一次；未复核问题按政策权重计，默认 0）",
		Numerator:  "有已确认问题的结算数（加权）", Denominator: "出院人次", Exclusions: "已驳回（dismissed）的问题",
		Source: "本地选择（智能审核结果用于考核，医保发〔2024〕23 号“先确认后处理”原则）",
		Value:  func(f *Facts) (float64, int, bool) { return rate(f.FindingStays, float64(f.Cases), 100) }},
	{ID: "findings_amount", NameZh: "审核问题金额占基金支付比（%）", NameEn: "audit findings amount, % of fund payments", Unit: "%", MinCases: 30,
		Definition: "已确认问题金额占基金对本单位支付额的百分比（未复核问题按政策权重，默认 0）",
		Numerator:  "已确认问题金额（加权）", Denominator: "本期出院结算的统筹基金支付额（hifp_payamt）", Exclusions: "已驳回的问题",
		Source: "本地选择（规模无关的违规金额占比）", Value: func(f *Facts) (float64, int, bool) {
			v, _, ok := rate(f.FindingsFen, float64(f.FundFen), 100)
			return v, f.Cases, ok
		}},
	{ID: "upcoding_rate", NameZh: "高套编码率（%）", NameEn: "up-coding rate (%)", Unit: "%", MinCases: 30,
		Definition: "有已确认高套编码问题的结算占出院人次的百分比", Numerator: "有已确认 upcoding 问题的结算数", Denominator: "出院人次",
		Exclusions: "未复核、已驳回的问题", Source: "本地选择",
		Value: func(f *Facts) (float64, int, bool) { return rate(float64(f.Upcoding), float64(f.Cases), 100) }},
	{ID: "split_rate", NameZh: "分解住院率（%）", NameEn: "split-admission rate (%)", Unit: "%", MinCases: 30,
		Definition: "有已确认分解住院问题的结算占出院人次的百分比", Numerator: "有已确认 split_admission 问题的结算数", Denominator: "出院人次",
		Exclusions: "未复核、已驳回的问题", Source: "本地选择",
		Value: func(f *Facts) (float64, int, bool) { return rate(float64(f.Split), float64(f.Cases), 100) }},
	{ID: "list_pass_rate", NameZh: "结算清单校验通过率（%）", NameEn: "settlement-list validation pass rate (%)", Unit: "%", MinCases: 30,
		Definition: "上传的结算清单中通过入库校验且通过分组器校验者的比例",
		Numerator:  "读入记录数 − 入库拒收数 − 分组校验失败数", Denominator: "入库读入的本单位结算清单记录数（按出院月份）",
		Exclusions: "未记录入库计数的单位（旧数据）为无数据；科室、医生无此计数",
		Source:     "医疗保障基金结算清单填写规范；本地选择（首次上传通过率，重复上传重复计数）",
		Value: func(f *Facts) (float64, int, bool) {
			if !f.HasList || f.ListRead <= 0 {
				return 0, 0, false
			}
			pass := f.ListRead - f.ListRejected - f.ValidationFailed
			return 100 * float64(max(0, pass)) / float64(f.ListRead), f.ListRead, true
		}},
	{ID: "patient_satisfaction", NameZh: "患者满意度", NameEn: "patient satisfaction (imported)", MinCases: 0,
		Definition: "导入的满意度调查得分", Numerator: "（导入值）", Denominator: "（导入值）", Exclusions: "未导入为无数据",
		Source: "国家卫生健康委满意度调查平台（导入）",
		Value:  func(f *Facts) (float64, int, bool) { return f.Satisfaction, 1, f.HasSatisfaction }},
}

// Definitions lists every indicator computation, sorted by id.
func Definitions() []Definition {
	out := append([]Definition(nil), definitions...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup returns the definition of a computation.
func Lookup(id string) (Definition, bool) {
	for _, d := range definitions {
		if d.ID == id {
			return d, true
		}
	}
	return Definition{}, false
}
