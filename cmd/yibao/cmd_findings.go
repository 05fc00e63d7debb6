package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// runFindings is the command-line side of the findings work queue: list findings with
// their review state, confirm or dismiss open ones with who and why (the same state model
// and audit log as the cockpit's POST /api/findings/…/review).
func runFindings(ctx context.Context, e *env, args []string) error {
	usage := "Usage: yibao findings list [--hospital H] [--category C] [--rule R] [--month YYYY-MM] [--status open|confirmed|dismissed] [--limit N] [--json]\n" +
		"       yibao findings confirm|dismiss (--id N[,N…] | --all-open [filters]) --by USER --why TEXT [--json]"
	if len(args) == 0 || (args[0] != "list" && args[0] != "confirm" && args[0] != "dismiss") {
		fmt.Fprintln(e.stderr, usage)
		return usageError{}
	}
	sub := args[0]
	fs := newFlags(e, "findings "+sub, "findings "+sub+" [flags]")
	db := fs.String("db", "", "data directory")
	hospital := fs.String("hospital", "", "one hospital's findings")
	category := fs.String("category", "", "category id (e.g. age_restriction)")
	rule := fs.String("rule", "", "rule id (e.g. AGE-001)")
	month := fs.String("month", "", "discharge month YYYY-MM")
	severity := fs.String("severity", "", "definite or suspicious")
	status := fs.String("status", "", "open, confirmed or dismissed (list only)")
	limit := fs.Int("limit", 50, "rows to list (0: all)")
	ids := fs.String("id", "", "finding ids, comma-separated")
	allOpen := fs.Bool("all-open", false, "review every open finding the filters select")
	by := fs.String("by", "", "who reviews (recorded with the decision)")
	why := fs.String("why", "", "why (recorded with the decision)")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	filter := sqlite.FindingFilter{Hospital: *hospital, Category: *category, RuleID: *rule, Month: *month, Severity: *severity, Status: *status}
	if sub == "list" {
		filter.Limit = *limit
		rows, err := st.Findings(ctx, filter)
		if err != nil {
			return err
		}
		total, err := st.FindingCount(ctx, filter)
		if err != nil {
			return err
		}
		if *asJSON {
			if rows == nil {
				rows = []sqlite.FindingView{}
			}
			return json.NewEncoder(e.stdout).Encode(map[string]any{"total": total, "findings": rows})
		}
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "编号\t结算\t医院\t类别\t严重程度\t金额（元）\t状态\t复核")
		for _, f := range rows {
			review := ""
			if f.ReviewedBy != "" {
				review = f.ReviewedBy + " " + time.Unix(f.ReviewedAt, 0).Format("2006-01-02") + "：" + f.ReviewWhy
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.SetlID, f.Hospital, label2(audit.CategoryNames, f.Category),
				label2(audit.SeverityLabels, f.Severity), fenText(f.AmountFen), label2(audit.StatusLabels, f.Status), review)
		}
		tw.Flush()
		fmt.Fprintf(e.stdout, "%d of %d findings\n", len(rows), total)
		return nil
	}
	// confirm | dismiss
	action := audit.ActionConfirm
	if sub == "dismiss" {
		action = audit.ActionDismiss
	}
	if *status != "" {
		return usageError{msg: "--status is for list: only open findings are reviewed"}
	}
	if (*ids == "") == !*allOpen {
		return usageError{msg: "give --id N[,N…] or --all-open (with filters)"}
	}
	to, err := audit.ReviewTo(audit.StatusOpen, action, *by, *why)
	if err != nil {
		return usageError{msg: err.Error() + " (--by and --why)"}
	}
	var sel []int64
	detail := ""
	if *ids != "" {
		for _, s := range strings.Split(*ids, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return usageError{msg: fmt.Sprintf("--id %q is not a finding number", s)}
			}
			f, err := st.Finding(ctx, n)
			if err != nil {
				return exitError{code: exitFailure, msg: fmt.Sprintf("finding %d not found", n)}
			}
			if _, err := audit.ReviewTo(f.Status, action, *by, *why); err != nil {
				return exitError{code: exitFailure, msg: fmt.Sprintf("finding %d: %v", n, err)}
			}
			sel = append(sel, n)
		}
		detail = "ids " + *ids
	} else {
		filter.Status = audit.StatusOpen
		rows, err := st.Findings(ctx, filter)
		if err != nil {
			return err
		}
		for _, f := range rows {
			sel = append(sel, f.ID)
		}
		detail = fmt.Sprintf("bulk: hospital=%s category=%s rule=%s month=%s severity=%s", *hospital, *category, *rule, *month, *severity)
	}
	n, err := st.ReviewFindings(ctx, sel, audit.StatusOpen, to, *by, strings.TrimSpace(*why), detail)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"status": to, "changed": n, "selected": len(sel)})
	}
	fmt.Fprintf(e.stdout, "%d finding(s) %s by %s (%d selected)\n", n, label2(audit.StatusLabels, to), *by, len(sel))
	return nil
}

func label2(m map[string][2]string, id string) string {
	if l, ok := m[id]; ok {
		return l[0]
	}
	return id
}

func fenText(f int64) string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}
