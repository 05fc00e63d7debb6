package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestForecastContract: the stable contract of issue 18 — fixed orders against R's numbers
// (AirPassengers log, airline model; forecast/testdata/r/fixed.csv), the output header, auto
// mode's printed model and backtest, --json, and bad input naming file, line and field.
func TestForecastContract(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join("..", "..", "forecast", "testdata", "r", "series", "AirPassengersLog.csv")
	out := filepath.Join(dir, "fc.csv")
	code, stdout, stderr := runCLI(t, "forecast", "--in", in, "--horizon", "3", "--out", out, "--order", "0,1,1", "--seasonal", "0,1,1,12")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := readCSV(t, out)
	if strings.Join(rows[0], ",") != "period,mean,lo80,hi80,lo95,hi95" || len(rows) != 4 || rows[1][0] != "1961-01" {
		t.Fatalf("output %v", rows)
	}
	// R: predict(arima(log(AirPassengers), c(0,1,1), seasonal = c(0,1,1), method = "ML"), 3)
	// means 6.110185711, 6.053775299, 6.171709846; se 0.03671561774, 0.0427829251, …
	mean, _ := strconv.ParseFloat(rows[1][1], 64)
	hi95, _ := strconv.ParseFloat(rows[1][5], 64)
	if math.Abs(mean-6.110185711)/6.110185711 > 0.01 || math.Abs((hi95-mean)/1.959963984540054-0.03671561774)/0.03671561774 > 0.05 {
		t.Errorf("mean %v hi95 %v", mean, hi95)
	}
	if !strings.Contains(stdout, "ARIMA(0,1,1)(0,1,1)[12]") || !strings.Contains(stdout, "MASE") {
		t.Errorf("stdout %s", stdout)
	}
	code, stdout, _ = runCLI(t, "forecast", "--in", in, "--horizon", "2", "--out", out, "--model", "auto", "--json")
	var res struct {
		Model    string
		Backtest struct{ MASE *float64 }
		Periods  []string
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Model == "" || res.Backtest.MASE == nil || len(res.Periods) != 2 {
		t.Errorf("auto --json: %d %s", code, stdout)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("period,value\n2024-01,1\n2024-02,abc\n"), 0o644)
	before, _ := os.ReadFile(out)
	code, _, stderr = runCLI(t, "forecast", "--in", bad, "--horizon", "2", "--out", out)
	if code != exitRejected || !strings.Contains(stderr, "bad.csv:3: field value") {
		t.Errorf("bad input: %d %s", code, stderr)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Error("a failed run touched the output")
	}
	for _, args := range [][]string{{"--in", in, "--out", out, "--horizon", "0"}, {"--in", in, "--out", out, "--order", "1,1"}, {"--in", in, "--out", out, "--model", "x"},
		{"--in", in, "--out", out, "--model", "ets", "--order", "1,0,0"}} {
		if code, _, _ := runCLI(t, append([]string{"forecast"}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestFundAndAlertsCommands: load a ledger (one bad row rejected, the rest stored), the books,
// alert evaluation with a webhook that is down (alerts kept undelivered), and the inbox.
func TestFundAndAlertsCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	var b strings.Builder
	b.WriteString("period,insutype,income,other_expenditure,opening_balance\n")
	for i := 0; i < 24; i++ {
		m := time.Date(2024, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		open := ""
		if i == 0 {
			open = "1000.00"
		}
		b.WriteString(m + ",390,100.00,50.00," + open + "\n")
	}
	b.WriteString("2026-01,999,1,1,\n")
	ledger := filepath.Join(dir, "fund.csv")
	os.WriteFile(ledger, []byte(b.String()), 0o644)
	code, _, stderr := runCLI(t, "fund", "load", "--db", db, "--in", ledger)
	if code != exitRejected || !strings.Contains(stderr, "fund.csv:26: field insutype") {
		t.Fatalf("load: %d %s", code, stderr)
	}
	code, stdout, _ := runCLI(t, "fund", "books", "--db", db, "--json")
	var books struct {
		Books []struct {
			Period          string
			ClosingFen      int64    `json:"closing_fen"`
			MonthsOfReserve *float64 `json:"months_of_reserve"`
			Band            string
		}
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &books) != nil || len(books.Books) != 24 {
		t.Fatalf("books: %d %s", code, stdout)
	}
	// By hand: 1000 + 24 × (100 − 50) = 2200 yuan; reserve 2200 / 50 = 44 months (excess).
	last := books.Books[23]
	if last.ClosingFen != 220000 || last.MonthsOfReserve == nil || *last.MonthsOfReserve != 44 || last.Band != "excess" {
		t.Errorf("last month %+v", last)
	}
	code, _, stderr = runCLI(t, "monitor", "run", "--db", db, "--webhook", "http://127.0.0.1:1/hook")
	if code != exitFailure || !strings.Contains(stderr, "delivery failed") {
		t.Errorf("monitor run with a dead webhook: %d %s", code, stderr)
	}
	code, stdout, _ = runCLI(t, "alerts", "list", "--db", db, "--json")
	if code != 0 || !strings.Contains(stdout, "reserve-excess|390|2025-12") {
		t.Errorf("alerts: %d %s", code, stdout)
	}
	if code, _, _ := runCLI(t, "alerts", "ack", "--db", db, "reserve-excess|390|2025-12", "--by", "ana", "--note", "known"); code != 0 {
		t.Error("ack failed")
	}
	if code, _, _ := runCLI(t, "alerts", "ack", "--db", db, "reserve-excess|390|2025-12", "--by", "ana"); code == 0 {
		t.Error("acknowledged twice")
	}
}
