package monitor

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/forecast"
)

// LedgerReject is a ledger line that did not load.
type LedgerReject struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func (r LedgerReject) Error() string {
	if r.Field != "" {
		return fmt.Sprintf("%s:%d: field %s: %s", r.File, r.Line, r.Field, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
}

// MaxLedgerRows bounds a ledger file (two funds × 100 years of months, with room).
const MaxLedgerRows = 10000

// ReadLedger reads the fund-ledger CSV (docs/formats.md):
//
//	period,insutype,income,other_expenditure,opening_balance[,insured]
//
// Money in yuan with at most two decimals; opening_balance may be empty after a fund's first
// month. Good rows load; each bad row is returned as a reject naming line, field and reason.
// A header error or an unreadable file is an error.
func ReadLedger(r io.Reader, name string) ([]LedgerRow, []LedgerReject, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return nil, nil, LedgerReject{name, 1, "", "empty file: expected header period,insutype,income,other_expenditure,opening_balance"}
	}
	if err != nil {
		return nil, nil, LedgerReject{name, 1, "", err.Error()}
	}
	want := []string{"period", "insutype", "income", "other_expenditure", "opening_balance"}
	if len(head) < 5 || len(head) > 6 {
		return nil, nil, LedgerReject{name, 1, "", "header must be period,insutype,income,other_expenditure,opening_balance[,insured]"}
	}
	for i, w := range want {
		h := strings.TrimSpace(head[i])
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		if h != w {
			return nil, nil, LedgerReject{name, 1, "", fmt.Sprintf("column %d is %q, want %q", i+1, h, w)}
		}
	}
	withInsured := len(head) == 6
	if withInsured && strings.TrimSpace(head[5]) != "insured" {
		return nil, nil, LedgerReject{name, 1, "", "the optional sixth column must be insured"}
	}
	var rows []LedgerRow
	var rejects []LedgerReject
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rejects = append(rejects, LedgerReject{name, pe.Line, "", pe.Err.Error()})
				if pe.Err == csv.ErrQuote || pe.Err == csv.ErrBareQuote {
					break
				}
				continue
			}
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rows)+len(rejects) >= MaxLedgerRows {
			return nil, nil, LedgerReject{name, line, "", fmt.Sprintf("more than %d rows", MaxLedgerRows)}
		}
		if len(rec) != len(head) {
			rejects = append(rejects, LedgerReject{name, line, "", fmt.Sprintf("%d fields, want %d", len(rec), len(head))})
			continue
		}
		bad := func(field, reason string) { rejects = append(rejects, LedgerReject{name, line, field, reason}) }
		m, err := forecast.ParseMonth(strings.TrimSpace(rec[0]))
		if err != nil {
			bad("period", err.Error())
			continue
		}
		t := strings.TrimSpace(rec[1])
		if t != Employee && t != Resident {
			bad("insutype", fmt.Sprintf("%q is not 310 (employee) or 390 (resident)", t))
			continue
		}
		money := func(field, v string, allowNeg bool) (yibao.Fen, bool) {
			f, err := yibao.ParseYuan(strings.TrimSpace(v))
			if err != nil {
				bad(field, fmt.Sprintf("%q is not an amount in yuan: %v", v, err))
				return 0, false
			}
			if f < 0 && !allowNeg {
				bad(field, fmt.Sprintf("%q is negative", v))
				return 0, false
			}
			return f, true
		}
		row := LedgerRow{Period: m, InsuType: t}
		var ok bool
		if row.Income, ok = money("income", rec[2], false); !ok {
			continue
		}
		if row.OtherExpenditure, ok = money("other_expenditure", rec[3], false); !ok {
			continue
		}
		if v := strings.TrimSpace(rec[4]); v != "" {
			// A fund in deficit may open negative.
			f, ok := money("opening_balance", v, true)
			if !ok {
				continue
			}
			row.OpeningBalance = &f
		}
		if withInsured {
			if v := strings.TrimSpace(rec[5]); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					bad("insured", fmt.Sprintf("%q is not a count of persons", v))
					continue
				}
				row.Insured = n
			}
		}
		k := m.String() + "|" + t
		if prev, dup := seen[k]; dup {
			bad("period", fmt.Sprintf("%s %s already given on line %d", m, t, prev))
			continue
		}
		seen[k] = line
		rows = append(rows, row)
	}
	return rows, rejects, nil
}
