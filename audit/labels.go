package audit

// SeverityLabels names severities.
var SeverityLabels = map[string][2]string{Definite: {"明确违规", "definite"}, Suspicious: {"可疑", "suspicious"}}

// StatusLabels names review states.
var StatusLabels = map[string][2]string{
	StatusOpen:      {"待复核", "open"},
	StatusConfirmed: {"已确认", "confirmed"},
	StatusDismissed: {"已驳回（不予认定）", "dismissed"},
	"superseded":    {"已作废（结算已有新版本）", "superseded (the settlement has a newer version)"},
}
