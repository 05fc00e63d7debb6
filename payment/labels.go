package payment

// KindLabels names the case kinds of DRG payment for people (Chinese, English).
var KindLabels = map[string][2]string{
	KindNormal:        {"正常病例", "normal"},
	KindHigh:          {"高倍率病例", "high outlier"},
	KindLow:           {"低倍率病例", "low outlier"},
	KindIncomplete:    {"未完整治疗病例", "incomplete treatment (transfer, against advice, ≤ 1 day)"},
	KindPerDiem:       {"床日付费病例", "per diem"},
	KindSpecialReview: {"特例单议病例", "special review"},
}
