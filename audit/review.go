package audit

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Review states of a stored finding (审核结果复核). A finding is open when the audit
// produces it; an analyst confirms it (确认违规, it then counts in payment and
// evaluation) or dismisses it (不予认定), always with a reason. Decided findings stay
// decided: a hospital that disagrees appeals (finding:<id>), and an upheld appeal dismisses.
const (
	StatusOpen      = "open"
	StatusConfirmed = "confirmed"
	StatusDismissed = "dismissed"
)

// Review actions.
const (
	ActionConfirm = "confirm"
	ActionDismiss = "dismiss"
)

// MaxReasonRunes bounds a review reason (local choice: a paragraph, not a document).
const MaxReasonRunes = 500

// ReviewTo checks a review of a finding in state from and returns the new state. The
// reason is required: who decided and why is what a hospital reads when it appeals.
func ReviewTo(from, action, by, why string) (string, error) {
	why = strings.TrimSpace(why)
	if by == "" {
		return "", errors.New("a review records who decided")
	}
	if why == "" {
		return "", errors.New("a review needs a reason")
	}
	if utf8.RuneCountInString(why) > MaxReasonRunes {
		return "", fmt.Errorf("a review reason has at most %d characters", MaxReasonRunes)
	}
	var to string
	switch action {
	case ActionConfirm:
		to = StatusConfirmed
	case ActionDismiss:
		to = StatusDismissed
	default:
		return "", fmt.Errorf("review action %q is not confirm or dismiss", action)
	}
	if from != StatusOpen {
		return "", fmt.Errorf("finding is %s, only open findings are reviewed (a decided finding is contested by appeal)", from)
	}
	return to, nil
}
