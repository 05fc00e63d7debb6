package yibao

import "time"

// Contract is a family-doctor contract (家庭医生签约): a pseudonymised person signed with a
// primary-care institution (基层医疗机构) and one of its teams from Start to End (dates, End
// inclusive; zero End: open-ended).
type Contract struct {
	Person      string // keyed HMAC of psn_no, as on settlements
	Institution string // fixmedins_code of the institution
	Team        string
	Start, End  time.Time
}
