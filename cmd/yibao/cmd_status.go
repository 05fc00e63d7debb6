package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// runStatus says what the store holds, reading only: it neither creates a missing data
// directory nor migrates or writes one.
func runStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "status", "status [--db DIR|postgres://…] [--json]")
	db := fs.String("db", "", "data directory (default $YIBAO_DB or ./yibao-data)")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openReadOnly(e, dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(s)
	}
	c := s.Counts
	fmt.Fprintf(e.stdout, "数据库 / store: %s %s, schema version %d (%s)\n", s.Store, s.Dir, s.SchemaVersion, s.Engine)
	fmt.Fprintf(e.stdout, "结算 / settlements %s (inpatient %s, versions %s), fee lines %s, persons %s, hospitals %d (unregistered %d)\n",
		thousands(c.Settlements), thousands(c.Inpatient), thousands(c.Versions), thousands(c.FeeLines), thousands(c.Persons), c.Hospitals, c.Unregistered)
	if len(s.Findings) > 0 {
		fmt.Fprintf(e.stdout, "审核发现 / findings: %s\n", countsLine(s.Findings, findingStatusZH))
	}
	for _, r := range s.Runs {
		fmt.Fprintf(e.stdout, "%s: %d runs, latest %s at %s\n", runKindZH[r.Kind], r.Runs, r.Period, r.At.Format("2006-01-02 15:04"))
	}
	if len(s.Users) > 0 {
		fmt.Fprintf(e.stdout, "账户 / users: %s\n", countsLine(s.Users, nil))
	}
	if s.Ledger.Entries > 0 {
		fmt.Fprintf(e.stdout, "账本 / ledger: %s entries, last checkpoint %s entries at %s\n", thousands(int(s.Ledger.Entries)),
			thousands(int(s.Ledger.CheckpointSize)), s.Ledger.CheckpointAt.Format("2006-01-02 15:04:05"))
	}
	return nil
}

var findingStatusZH = map[string]string{"open": "待审核", "confirmed": "已确认", "dismissed": "已排除"}

var runKindZH = map[string]string{
	"payment": "DRG 支付 / payment", "dip": "DIP 支付 / DIP", "evaluation": "绩效评价 / evaluation",
	"technology": "技术评价 / technology", "value": "价值医疗 / value",
}

// countsLine prints a count map sorted by key, with Chinese names when given:
// "已确认 120 · 待审核 35".
func countsLine(m map[string]int, names map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if n, ok := names[k]; ok {
			name = n
		}
		parts[i] = fmt.Sprintf("%s %s", name, thousands(m[k]))
	}
	return strings.Join(parts, " · ")
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
