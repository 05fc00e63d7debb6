package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runCMI reports the case-mix index for any slice: hospital, department, doctor or month.
func runCMI(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cmi", "cmi --db DIR --period YYYY [--by hospital|department|doctor|month] [--reference YYYY] [--weights FILE] [--json]")
	in := paymentFlags(fs)
	by := fs.String("by", "hospital", "hospital, department, doctor or month")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	type item struct {
		row sqlite.CaseRow
		rw  payment.Ratio
	}
	keys := map[string]func(*item) string{
		"hospital":   func(p *item) string { return p.row.Hospital },
		"department": func(p *item) string { return p.row.Hospital + "/" + p.row.Dept },
		"doctor":     func(p *item) string { return p.row.Hospital + "/" + p.row.Doctor },
		"month":      func(p *item) string { return p.row.Discharge.Format("2006-01") },
	}
	key, ok := keys[*by]
	if !ok {
		return usageError{msg: "--by must be hospital, department, doctor or month"}
	}
	pc, err := in.load(ctx, e, false)
	if err != nil {
		return err
	}
	defer pc.st.Close()
	// Only the weights matter for CMI: each grouped case carries its DRG's RW.
	items := make([]item, len(pc.rows))
	for i, r := range pc.rows {
		items[i].row = r
		if w, ok := pc.weights.Of(r.DRG); ok && r.Grouped() {
			items[i].rw = w.RW
		}
	}
	slices := payment.CMI(items, func(p *item) payment.Ratio { return p.rw }, key)
	if *in.asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"period": pc.per.label, "weights": pc.weights.Version, "by": *by, "cmi": slices})
	}
	fmt.Fprintf(e.stdout, "CMI by %s, %s, weights %s\n", *by, pc.per.label, pc.weights.Version)
	for _, s := range slices {
		fmt.Fprintf(e.stdout, "  %-40s %6d cases  CMI %.4f\n", s.Key, s.Cases, s.CMI)
	}
	return nil
}
