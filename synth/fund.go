package synth

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// FundFile is the fund ledger (基金台账) written beside the settlements, in the format of
// docs/formats.md: period,insutype,income,other_expenditure,opening_balance,insured.
const FundFile = "fund.csv"

// Fund-ledger assumptions for the synthetic region (local choices, documented in
// docs/synthetic-region.md): income is pooled-fund spending times a cover ratio with a
// seasonal collection pattern, other expenditure is a share of spending, and each fund opens
// with a number of months of its first months' spending in reserve.
var fundAssumptions = map[string]struct {
	cover, other, openingMonths float64
	// collection weights by calendar month (sum 12): employee contributions arrive evenly;
	// residents pay mostly in the autumn collection campaign.
	season [12]float64
}{
	"310": {cover: 1.12, other: 0.02, openingMonths: 11, season: [12]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
	"390": {cover: 1.00, other: 0.03, openingMonths: 5, season: [12]float64{1.4, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 1.2, 2.0, 2.0, 1.2}},
}

// WriteFundLedger reads the settlements and persons already written to dir and writes a
// plausible fund ledger for them, for the months simulated (from cfg.Start, default 2024-01,
// for cfg.Months): stays discharged after the window belong to months the region did not
// simulate in full. It reads the output files rather than the generator's state so that it
// stays independent of how the encounters are made.
func WriteFundLedger(dir string, cfg Config) error {
	start := cfg.Start
	if start.IsZero() {
		start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	first := start.Format("2006-01")
	last := start.AddDate(0, max(cfg.Months, 1)-1, 0).Format("2006-01")
	spend, err := fundSpending(filepath.Join(dir, SettlementsFile))
	if err != nil {
		return err
	}
	insured, err := insuredCounts(filepath.Join(dir, PersonsFile))
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("period,insutype,income,other_expenditure,opening_balance,insured\n")
	for _, t := range []string{"310", "390"} {
		months := spend[t]
		if len(months) == 0 {
			continue
		}
		var periods []string
		for p := range months {
			if p >= first && p <= last {
				periods = append(periods, p)
			}
		}
		if len(periods) == 0 {
			continue
		}
		sort.Strings(periods)
		// Fill gaps so that the ledger has every month from the first to the last.
		periods = fillMonths(periods[0], periods[len(periods)-1])
		a := fundAssumptions[t]
		var first float64
		n := min(3, len(periods))
		for _, p := range periods[:n] {
			first += float64(months[p])
		}
		first /= float64(n)
		var total float64
		for _, p := range periods {
			total += float64(months[p])
		}
		mean := total / float64(len(periods))
		for i, p := range periods {
			var mo int
			fmt.Sscanf(p[5:], "%d", &mo)
			// Income follows the mean spending (contributions do not track each month's
			// claims) with the collection season.
			// Contribution bases grow about 4% a year (local choice for the synthetic region).
			income := math.Round(mean * a.cover * a.season[mo-1] * math.Pow(1.04, float64(i/12)-float64((len(periods)+11)/12-1)/2))
			other := math.Round(float64(months[p]) * a.other)
			opening := ""
			if i == 0 {
				opening = yuan(int64(math.Round(first * a.openingMonths)))
			}
			fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%d\n", p, t, yuan(int64(income)), yuan(int64(other)), opening, insured[t])
		}
	}
	tmp := filepath.Join(dir, "."+FundFile+".tmp")
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, FundFile))
}

func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

func fillMonths(from, to string) []string {
	var y, m int
	fmt.Sscanf(from, "%d-%d", &y, &m)
	var out []string
	for {
		p := fmt.Sprintf("%04d-%02d", y, m)
		out = append(out, p)
		if p >= to || len(out) > 1200 {
			return out
		}
		m++
		if m > 12 {
			y, m = y+1, 1
		}
	}
}

// fundSpending sums hifp_payamt (fen) by insurance type and discharge month.
func fundSpending(path string) (map[string]map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]map[string]int64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var p fastjson.Parser
	line := 0
	for sc.Scan() {
		line++
		v, err := p.ParseBytes(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		s := v.Get("setlinfo")
		if s == nil {
			continue
		}
		t := string(s.GetStringBytes("insutype"))
		if t == "" {
			t = string(s.GetStringBytes("hi_type"))
		}
		ts := string(s.GetStringBytes("dscg_time"))
		if ts == "" {
			ts = string(s.GetStringBytes("adm_time"))
		}
		if len(ts) < 7 || (t != "310" && t != "390") {
			continue
		}
		fund := s.GetFloat64("hifp_payamt")
		if out[t] == nil {
			out[t] = map[string]int64{}
		}
		out[t][ts[:7]] += int64(math.Round(fund * 100))
	}
	return out, sc.Err()
}

func insuredCounts(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	head, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := -1
	for i, h := range head {
		if h == "insutype" {
			col = i
		}
	}
	out := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if col >= 0 && col < len(rec) {
			out[rec[col]]++
		}
	}
}
