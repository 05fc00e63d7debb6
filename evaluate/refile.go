package evaluate

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// MaxAppealsPerTarget bounds how often a hospital may appeal one adjustment or finding
// (local choice: a first appeal and two refilings). Endless refiling would keep a decided
// matter open and flood the bureau's queue.
const MaxAppealsPerTarget = 3

// ErrRefile is returned for an appeal that repeats a decided or pending one.
var ErrRefile = errors.New("appeal not accepted")

// CheckRefile decides whether a hospital may appeal a target again, given its earlier
// appeals on the same target: not while one is pending, never after one was upheld, at
// most MaxAppealsPerTarget in all, and only on new grounds (a reason that is not one
// already given, ignoring case, spaces and punctuation).
func CheckRefile(prior []Appeal, a Appeal) error {
	if len(prior) >= MaxAppealsPerTarget {
		return fmt.Errorf("%w: %d appeals on %s already, the limit is %d (申诉次数已达上限)", ErrRefile, len(prior), a.Target, MaxAppealsPerTarget)
	}
	grounds := normaliseGrounds(a.Reason)
	if grounds == "" {
		return fmt.Errorf("%w: an appeal needs its grounds (申诉须说明理由)", ErrRefile)
	}
	for _, p := range prior {
		switch p.State {
		case AppealFiled, AppealUnderReview:
			return fmt.Errorf("%w: appeal %d on %s is still pending (已有待决申诉)", ErrRefile, p.ID, a.Target)
		case AppealUpheld:
			return fmt.Errorf("%w: appeal %d on %s was upheld already (申诉已获支持)", ErrRefile, p.ID, a.Target)
		}
		if normaliseGrounds(p.Reason) == grounds {
			return fmt.Errorf("%w: the grounds repeat appeal %d; a new appeal needs new grounds (须提出新的理由)", ErrRefile, p.ID)
		}
	}
	return nil
}

func normaliseGrounds(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
