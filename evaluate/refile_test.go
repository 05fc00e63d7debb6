package evaluate

import (
	"errors"
	"testing"
)

// Issue 10 finding 10: an appeal may be refiled only with new grounds and up to a limit.
func TestCheckRefile(t *testing.T) {
	a := Appeal{Target: "finding:7", Reason: "病历已补充：见附件 2"}
	rejected := Appeal{ID: 1, Target: "finding:7", Reason: "医嘱录入错误", State: AppealRejected}
	for name, c := range map[string]struct {
		prior []Appeal
		ok    bool
	}{
		"first":           {nil, true},
		"new grounds":     {[]Appeal{rejected}, true},
		"same grounds":    {[]Appeal{rejected, {ID: 2, Reason: " 病历已补充,见附件2 ", State: AppealRejected}}, false},
		"pending":         {[]Appeal{{ID: 2, Reason: "x", State: AppealFiled}}, false},
		"upheld":          {[]Appeal{{ID: 2, Reason: "x", State: AppealUpheld}}, false},
		"over the limit":  {[]Appeal{rejected, {ID: 2, Reason: "b", State: AppealRejected}, {ID: 3, Reason: "c", State: AppealRejected}}, false},
		"under the limit": {[]Appeal{rejected, {ID: 2, Reason: "b", State: AppealExpired}}, true},
	} {
		err := CheckRefile(c.prior, a)
		if (err == nil) != c.ok || err != nil && !errors.Is(err, ErrRefile) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if CheckRefile(nil, Appeal{Reason: " ，。 "}) == nil {
		t.Error("an appeal without grounds accepted")
	}
}
