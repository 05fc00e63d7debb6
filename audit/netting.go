package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/yibao-dev/yibao"
)

// netLine is a charge (a fee line with a positive quantity) after the refunds matched to it
// have been taken off: the line the rules judge. A line refunded in full is not judged at
// all; a refund line (negative quantity) is never judged itself.
type netLine struct {
	i       int        // index in Settlement.Fees
	qty     yibao.Dec6 // billed quantity less matched refunds
	amount  yibao.Fen  // billed amount less matched refunds
	refunds []int      // indexes of the refund lines matched to it
}

// netted is a settlement's fee lines after netting (docs/knowledge-base.md, "Netting").
type netted struct {
	lines     []netLine // charges still standing (net quantity > 0), in time order, serial breaking ties
	voided    []int     // charges refunded in full
	unmatched []int     // refunds matched to no charge
	// unmatchedQty is the quantity of unmatched refunds by item: it still lowers the
	// item's stay total, since it refunds something of this stay.
	unmatchedQty map[string]yibao.Dec6
}

// net matches every refund (a line with a negative quantity) to the charge it reverses:
// first the latest earlier-or-simultaneous charge of the same item with the same non-empty
// order number (rx_drord_no) that still has quantity left; else the latest charge of the
// same item on the same calendar day with quantity left (a charge billed later that day if
// none is earlier). A refund larger than what is left spills over to the next candidate.
// Whatever matches nothing stays unmatched and only lowers the item's stay total.
func net(fees []yibao.FeeLine) netted {
	order := make([]int, len(fees))
	sorted := true
	for i := range order {
		order[i] = i
		if i > 0 && fees[i].Time.Before(fees[i-1].Time) {
			sorted = false
		}
	}
	if !sorted { // HIS uploads are usually in time order already
		slices.SortStableFunc(order, func(a, b int) int { return fees[a].Time.Compare(fees[b].Time) })
	}
	var n netted
	left := make([]yibao.Dec6, len(fees)) // quantity not yet refunded, for charges
	var refunds []int
	hasRefund := false
	for _, i := range order {
		if fees[i].Qty > 0 {
			left[i] = fees[i].Qty
		} else if fees[i].Qty < 0 {
			refunds = append(refunds, i)
			hasRefund = true
		}
	}
	var matched map[int][]int
	if hasRefund {
		for _, r := range refunds {
			rf := &fees[r]
			need := -rf.Qty
			take := func(pick func(c *yibao.FeeLine) bool, allowLater bool) {
				// Latest first among earlier-or-simultaneous charges, then (if allowed)
				// the earliest of the later ones.
				for pass := 0; pass < 2 && need > 0; pass++ {
					if pass == 1 && !allowLater {
						break
					}
					for k := range order {
						c := order[len(order)-1-k]
						if pass == 1 {
							c = order[k]
						}
						l := &fees[c]
						if left[c] <= 0 || l.ListCode != rf.ListCode || !pick(l) {
							continue
						}
						later := l.Time.After(rf.Time)
						if later != (pass == 1) {
							continue
						}
						q := min(need, left[c])
						left[c] -= q
						need -= q
						if matched == nil {
							matched = map[int][]int{}
						}
						if !containsInt(matched[c], r) {
							matched[c] = append(matched[c], r)
						}
						if need == 0 {
							return
						}
					}
				}
			}
			if rf.Order != "" {
				take(func(c *yibao.FeeLine) bool { return c.Order == rf.Order }, false)
			}
			if need > 0 {
				d := dayOf(rf.Time)
				take(func(c *yibao.FeeLine) bool { return dayOf(c.Time) == d }, true)
			}
			if need > 0 {
				n.unmatched = append(n.unmatched, r)
				if n.unmatchedQty == nil {
					n.unmatchedQty = map[string]yibao.Dec6{}
				}
				n.unmatchedQty[rf.ListCode] += need
			}
		}
	}
	n.lines = make([]netLine, 0, len(fees))
	for _, i := range order {
		l := &fees[i]
		if l.Qty <= 0 {
			continue
		}
		if left[i] <= 0 {
			n.voided = append(n.voided, i)
			continue
		}
		nl := netLine{i: i, qty: left[i], amount: l.Amount, refunds: matched[i]}
		if left[i] != l.Qty {
			nl.amount = yibao.MulFen(left[i], l.Price)
		}
		n.lines = append(n.lines, nl)
	}
	return n
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// nettingNote says, for the evidence, how a line was netted ("" when it was not).
func nettingNote(fees []yibao.FeeLine, nl *netLine) string {
	if len(nl.refunds) == 0 {
		return ""
	}
	sns := make([]string, len(nl.refunds))
	for k, r := range nl.refunds {
		sns[k] = fees[r].Serial
	}
	return fmt.Sprintf("（原计 %s，已冲减第 %s 条退费，净 %s）", fees[nl.i].Qty, strings.Join(sns, "、"), nl.qty)
}
