package payment

// KindLabels names payment kinds for people (Chinese, English).
var KindLabels = map[string][2]string{
	KindStandard:    {"正常病例", "standard"},
	KindHighOutlier: {"高倍率病例", "high outlier"},
	KindLowOutlier:  {"低倍率病例", "low outlier"},
	KindDeath:       {"死亡病例", "death"},
	KindTransfer:    {"转院病例", "transfer"},
	KindShortStay:   {"短住院病例", "short stay"},
	KindUngroupable: {"未入组病例", "ungroupable"},
	KindNoWeight:    {"无权重病例（按项目）", "no weight (fee-for-service)"},
}
