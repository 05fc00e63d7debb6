package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/yibao-dev/yibao/evaluate"
	"github.com/yibao-dev/yibao/store/sqlite"
)

func runAppeal(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "file" && args[0] != "decide" && args[0] != "list") {
		fmt.Fprintln(e.stderr, "Usage: yibao appeal file --hospital H --target adjustment:<run>:<H>|finding:<id> --reason TEXT [--at TIME]\n"+
			"       yibao appeal decide --id N (--uphold|--reject) --by USER --why TEXT [--at TIME]\n       yibao appeal list [--json]")
		return usageError{}
	}
	sub := args[0]
	fs := newFlags(e, "appeal "+sub, "appeal "+sub+" [flags]")
	db := fs.String("db", "", "data directory")
	hospital := fs.String("hospital", "", "appealing hospital")
	target := fs.String("target", "", "adjustment:<run>:<hospital> or finding:<id>")
	reason := fs.String("reason", "", "why the hospital appeals")
	id := fs.Int64("id", 0, "appeal id")
	uphold := fs.Bool("uphold", false, "uphold the appeal (the target is reversed)")
	reject := fs.Bool("reject", false, "reject the appeal")
	by := fs.String("by", "", "who decides")
	why := fs.String("why", "", "why")
	at := fs.String("at", "", "time of the action, YYYY-MM-DD HH:MM:SS (default now)")
	holidays := fs.String("holidays", "", "holiday calendar: one date a line, +date for a make-up working day")
	asJSON := fs.Bool("json", false, "JSON output")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	now := time.Now().UTC()
	if *at != "" {
		t, err := time.Parse("2006-01-02 15:04:05", *at)
		if err != nil {
			return usageError{msg: "--at is not YYYY-MM-DD HH:MM:SS"}
		}
		now = t
	}
	cal, err := loadCalendar(*holidays)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(dataDir(e, *db))
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "file":
		if *hospital == "" || *target == "" {
			return usageError{msg: "--hospital and --target are required"}
		}
		pub, err := st.PublicationTime(ctx, *target, *hospital)
		if err != nil {
			return err
		}
		a, err := cal.FileAppeal(evaluate.Appeal{Hospital: *hospital, Target: *target, Reason: *reason, Published: pub, Filed: now})
		if err == nil {
			var rows []sqlite.AppealRow
			if rows, err = st.AppealsOn(ctx, a.Hospital, a.Target); err != nil {
				return err
			}
			prior := make([]evaluate.Appeal, len(rows))
			for i, r := range rows {
				prior[i] = evaluate.Appeal{ID: r.ID, Reason: r.Reason, State: r.State}
			}
			err = evaluate.CheckRefile(prior, a)
		}
		if err != nil {
			return exitError{code: exitFailure, msg: "appeal refused: " + err.Error()}
		}
		n, err := st.PutAppeal(ctx, sqlite.AppealRow{Hospital: a.Hospital, Target: a.Target, Reason: a.Reason, Published: a.Published,
			Filed: a.Filed, State: a.State, DecideBy: a.DecideBy, FiledBy: *hospital}, *hospital, "appeal.file")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "appeal %d filed by %s against %s; the bureau decides by %s\n", n, a.Hospital, a.Target, a.DecideBy.Format("2006-01-02"))
	case "decide":
		if *uphold == *reject {
			return usageError{msg: "give exactly one of --uphold or --reject"}
		}
		row, err := st.Appeal(ctx, *id)
		if err != nil {
			return err
		}
		a := evaluate.Appeal{ID: row.ID, Hospital: row.Hospital, Target: row.Target, Published: row.Published, Filed: row.Filed, State: row.State, DecideBy: row.DecideBy}
		d, err := cal.Decide(a, *uphold, *by, *why, now)
		if err != nil {
			if d.State == evaluate.AppealExpired {
				row.State = d.State
				st.PutAppeal(ctx, row, *by, "appeal.expire")
			}
			return exitError{code: exitFailure, msg: err.Error()}
		}
		row.State, row.DecidedBy, row.DecidedAt, row.DecisionWhy = d.State, d.DecidedBy, d.DecidedAt, d.DecisionWhy
		if _, err := st.PutAppeal(ctx, row, *by, "appeal.decide"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "appeal %d %s by %s: %s\n", row.ID, d.State, d.DecidedBy, d.DecisionWhy)
	case "list":
		rows, err := st.Appeals(ctx)
		if err != nil {
			return err
		}
		for i := range rows {
			a := cal.Expire(evaluate.Appeal{State: rows[i].State, DecideBy: rows[i].DecideBy}, now)
			rows[i].State = a.State
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(rows)
		}
		for _, a := range rows {
			fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\tfiled %s\tdecide by %s\n", a.ID, a.Hospital, a.Target, a.State,
				a.Filed.Format("2006-01-02"), a.DecideBy.Format("2006-01-02"))
		}
	}
	return nil
}

func loadCalendar(path string) (evaluate.Calendar, error) {
	cal := evaluate.Calendar{Holidays: map[string]bool{}, Workdays: map[string]bool{}}
	if path == "" {
		return cal, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return cal, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d, isWork := strings.CutPrefix(line, "+")
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return cal, fmt.Errorf("%s line %d: %q is not a date", path, n, line)
		}
		if isWork {
			cal.Workdays[d] = true
		} else {
			cal.Holidays[d] = true
		}
	}
	return cal, sc.Err()
}
