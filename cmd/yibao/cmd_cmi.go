package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/yibao-dev/yibao/payment"
)

// runCMI reports the case-mix index for any slice: hospital, department, doctor or month.
func runCMI(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cmi", "cmi --db DIR --period YYYY [--by hospital|department|doctor|month] [--reference YYYY] [--weights FILE] [--json]")
	in := paymentFlags(fs)
	by := fs.String("by", "hospital", "hospital, department, doctor or month")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	keys := map[string]func(*payment.Priced) string{
		"hospital":   func(p *payment.Priced) string { return p.Hospital },
		"department": func(p *payment.Priced) string { return p.Hospital + "/" + p.Dept },
		"doctor":     func(p *payment.Priced) string { return p.Hospital + "/" + p.Doctor },
		"month":      func(p *payment.Priced) string { return p.Discharge.Format("2006-01") },
	}
	key, ok := keys[*by]
	if !ok {
		return usageError{msg: "--by must be hospital, department, doctor or month"}
	}
	pc, err := in.load(ctx, e)
	if err != nil {
		return err
	}
	defer pc.st.Close()
	// Only the weights matter for CMI: each grouped case carries its DRG's RW.
	priced := make([]payment.Priced, 0, len(pc.cases))
	for _, c := range pc.cases {
		p := payment.Priced{Case: c}
		if w, ok := pc.weights.For(c.DRG, c.ADRG); ok && c.Grouped {
			p.RW = w.RW
		}
		priced = append(priced, p)
	}
	slices := payment.CMI(priced, key)
	if *in.asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"period": pc.per.label, "weights": pc.weights.Version, "by": *by, "cmi": slices})
	}
	fmt.Fprintf(e.stdout, "CMI by %s, %s, weights %s\n", *by, pc.per.label, pc.weights.Version)
	for _, s := range slices {
		fmt.Fprintf(e.stdout, "  %-40s %6d cases  CMI %.4f\n", s.Key, s.Cases, s.CMI)
	}
	return nil
}
