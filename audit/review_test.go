package audit

import (
	"strings"
	"testing"
)

func TestReviewTo(t *testing.T) {
	for _, c := range []struct {
		from, action, by, why, want, err string
	}{
		{StatusOpen, ActionConfirm, "li", "核实属实", StatusConfirmed, ""},
		{StatusOpen, ActionDismiss, "li", "有医嘱支持", StatusDismissed, ""},
		{StatusOpen, ActionConfirm, "li", "   ", "", "reason"},
		{StatusOpen, ActionConfirm, "", "x", "", "who"},
		{StatusOpen, "approve", "li", "x", "", "not confirm or dismiss"},
		{StatusConfirmed, ActionDismiss, "li", "x", "", "only open"},
		{StatusDismissed, ActionConfirm, "li", "x", "", "only open"},
		{StatusOpen, ActionConfirm, "li", strings.Repeat("长", MaxReasonRunes+1), "", "at most"},
	} {
		got, err := ReviewTo(c.from, c.action, c.by, c.why)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("ReviewTo(%s, %s, %q, %.10q) = %q, %v; want %q, %q", c.from, c.action, c.by, c.why, got, err, c.want, c.err)
		}
	}
}
