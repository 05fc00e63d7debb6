package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/payment"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runReview is the special-review (特例单议) workflow: settle queues the cases the rules
// cannot price; experts list and decide them here; the next settle pays the decisions.
func runReview(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "list":
			return runReviewList(ctx, e, args[1:])
		case "decide":
			return runReviewDecide(ctx, e, args[1:])
		}
	}
	const synopsis = "yibao review list --db DIR [--period P] [--hospital H] [--status pending|approved|rejected] [--json]\n" +
		"       yibao review decide --db DIR --id SETL_ID --approve|--reject --by NAME --why TEXT [--points N] [--policy FILE]"
	if wantsHelp(args) {
		fmt.Fprintln(e.stdout, "Usage: "+synopsis)
		return nil
	}
	return usageError{msg: "usage: " + synopsis}
}

func runReviewList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "review list", "review list --db DIR [--period P] [--hospital H] [--status S] [--json]")
	db := fs.String("db", "", "data directory")
	per := fs.String("period", "", "period label as settled (e.g. 2025)")
	hosp := fs.String("hospital", "", "hospital code")
	status := fs.String("status", "", "pending, approved or rejected")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Reviews(ctx, *per, *hosp, *status)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"reviews": rows})
	}
	fmt.Fprintf(e.stdout, "特例单议 special-review queue: %d entries\n", len(rows))
	fmt.Fprintf(e.stdout, "  %-22s %-10s %-8s %-6s %-12s %12s %-9s %s\n", "settlement", "hospital", "period", "drg", "reason", "cost", "status", "decision")
	for _, r := range rows {
		dec := ""
		if r.Status != "pending" {
			pts := "default C/Ā×100"
			if r.Points != nil {
				pts = payment.Points(*r.Points).String() + " points"
			}
			dec = fmt.Sprintf("%s by %s at %s: %s (%s)", r.Status, r.DecidedBy, r.DecidedAt.Format(time.RFC3339), r.Why, pts)
		}
		fmt.Fprintf(e.stdout, "  %-22s %-10s %-8s %-6s %-12s %12.2f %-9s %s\n", r.SetlID, r.Hospital, r.Period, r.DRG, r.Reason,
			float64(r.CostFen)/100, r.Status, dec)
	}
	return nil
}

func runReviewDecide(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "review decide", "review decide --db DIR --id SETL_ID --approve|--reject --by NAME --why TEXT [--points N] [--policy FILE]")
	db := fs.String("db", "", "data directory")
	id := fs.String("id", "", "settlement id of the queued case")
	approve := fs.Bool("approve", false, "approve: the case earns the decided points in the next settlement")
	reject := fs.Bool("reject", false, "reject: the case is priced by the other rules where it can be (policy special_review.rejected)")
	by := fs.String("by", "", "who decided (expert or panel)")
	why := fs.String("why", "", "why")
	points := fs.String("points", "", "points the decision sets (default: C / Ā × 100 per the policy)")
	policy := fs.String("policy", "", "policy whose quota applies (default: the built-in default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" || *approve == *reject || strings.TrimSpace(*by) == "" || strings.TrimSpace(*why) == "" {
		return usageError{msg: "--id, exactly one of --approve/--reject, --by and --why are required"}
	}
	var pts *int64
	if *points != "" {
		v, err := parseScaled4(*points)
		if err != nil || v <= 0 {
			return usageError{msg: fmt.Sprintf("--points %q: a positive number with at most 4 decimals", *points)}
		}
		pts = &v
	}
	pol, err := loadPolicy(*policy, "")
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := st.Review(ctx, *id)
	if err != nil {
		return err
	}
	status := "rejected"
	if *approve {
		status = "approved"
		if r.Status != "approved" {
			done, err := st.Reviews(ctx, r.Period, r.Hospital, "approved")
			if err != nil {
				return err
			}
			per, err := parsePeriodFlag(r.Period)
			if err != nil {
				return err
			}
			rows, err := st.CaseRows(ctx, demoSchemeID, per.from, per.to)
			if err != nil {
				return err
			}
			n := 0
			for _, c := range rows {
				if c.Hospital == r.Hospital {
					n++
				}
			}
			if err := payment.CheckApproval(r.Hospital, r.Period, len(done), n, pol.SpecialReview.Quota); err != nil {
				return err
			}
		}
	}
	if err := st.DecideReview(ctx, *id, status, pts, *by, *why, time.Now().UTC()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "special review %s (%s, %s): %s by %s — the next settle of %s pays it\n", *id, r.Hospital, r.Reason, status, *by, r.Period)
	return nil
}
