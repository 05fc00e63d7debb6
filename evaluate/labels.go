package evaluate

// GradeLabels names grades (Chinese, English).
var GradeLabels = map[string][2]string{"excellent": {"优秀", "excellent"}, "good": {"良好", "good"}, "average": {"一般", "average"}, "poor": {"较差", "poor"},
	"no_data": {"无数据", "no data"}}

// LightLabels names traffic lights.
var LightLabels = map[string][2]string{"green": {"绿灯", "green"}, "yellow": {"黄灯", "yellow"}, "red": {"红灯", "red"}, "grey": {"无数据", "no data"}}

// AppealStateLabels names appeal states.
var AppealStateLabels = map[string][2]string{
	AppealFiled:       {"已提交", "filed"},
	AppealUnderReview: {"审核中", "under review"},
	AppealUpheld:      {"申诉成立", "upheld"},
	AppealRejected:    {"申诉驳回", "rejected"},
	AppealExpired:     {"逾期未决", "expired"},
}
