package audit

// CategoryLabels names the finding categories for people: Chinese first, then English
// (the behaviour names of 医疗保障基金使用监督管理条例 and the 3101 interface).
var CategoryLabels = map[string][2]string{
	"duplicate_charge":       {"重复计费", "duplicate charge"},
	"over_quantity":          {"超量", "over quantity"},
	"sex_restriction":        {"限性别", "sex restriction"},
	"age_restriction":        {"限年龄", "age restriction"},
	"indication_restriction": {"限适应症", "indication restriction"},
	"hosp_level_restriction": {"限医院等级", "hospital-level restriction"},
	"price_over_cap":         {"超标准收费", "price over cap"},
	"exclusive_items":        {"重复收费（互斥项目）", "mutually exclusive items"},
	"unbundling":             {"分解收费", "unbundling"},
	"upcoding":               {"高套编码", "upcoding"},
	"split_admission":        {"分解住院", "split admission"},
	"bed_hanging":            {"挂床住院", "bed hanging"},
	"overlapping_stay":       {"重叠住院", "overlapping stays"},
	"frequent_admission":     {"频繁住院", "frequent admission"},
	"excessive_los":          {"超长住院", "excessive length of stay"},
}

// SeverityLabels names severities.
var SeverityLabels = map[string][2]string{Definite: {"明确违规", "definite"}, Suspicious: {"可疑", "suspicious"}}

// StatusLabels names review states.
var StatusLabels = map[string][2]string{
	StatusOpen:      {"待复核", "open"},
	StatusConfirmed: {"已确认", "confirmed"},
	StatusDismissed: {"已驳回（不予认定）", "dismissed"},
	"superseded":    {"已作废（结算已有新版本）", "superseded (the settlement has a newer version)"},
}
