package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/ingest"
	"github.com/yibao-dev/yibao/store/sqlite"
	"github.com/yibao-dev/yibao/synth"
	"github.com/yibao-dev/yibao/web"
)

func newServer(t testing.TB) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	region := filepath.Join(dir, "region")
	if _, err := synth.Run(ctx, synth.Config{Seed: 5, Hospitals: 10, Persons: 300, Months: 6, Out: region}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ps, _ := ingest.NewPseudonymiser(bytes.Repeat([]byte{1}, 32))
	if _, err := ingest.Run(ctx, st, []string{region}, ingest.Options{Pseudonymiser: ps}); err != nil {
		t.Fatal(err)
	}
	kb, err := audit.LoadKB(filepath.Join(region, "kb"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Config{Store: st, KB: kb, Pseudonymise: ps.Person}).Handler())
	t.Cleanup(srv.Close)
	return srv
}

// A female inpatient billed a PSA test, and the same drug line twice.
const request3101 = `{"infno":"3101","msgid":"M1","fixmedins_code":"H32010200001","inf_time":"2024-05-03 12:00:00","input":{"data":{
 "syscode":"HIS","trig_scen":"4","patient_dtos":[{"patn_id":"9999","gend":"2","brdy":"1970-01-01","curr_mdtrt_id":"E1",
  "fsi_encounter_dtos":[{"mdtrt_id":"E1","medins_id":"H32010200001","medins_lv":"3","adm_date":"2024-05-01","dscg_date":null,"med_type":"21",
   "fsi_diagnose_dtos":[{"dise_codg":"J18.900","maindise_flag":"1"}],
   "fsi_order_dtos":[
    {"rx_id":"R1","chrg_type":"04","hilist_code":"002503000140000","hilist_name":"前列腺特异性抗原","cnt":1,"pric":"80","sumamt":80,"drord_begn_date":"2024-05-01 10:00:00"},
    {"rx_id":"R2","chrg_type":"09","hilist_code":"XJ01DDA001","cnt":"2","pric":18,"sumamt":"36","drord_begn_date":"2024-05-02 09:00:00"},
    {"rx_id":"R3","chrg_type":"09","hilist_code":"XJ01DDA001","cnt":2,"pric":18,"sumamt":36,"drord_begn_date":"2024-05-02 09:00:00"}]}]}]}}}`

type reply struct {
	Infcode int    `json:"infcode"`
	ErrMsg  string `json:"err_msg"`
	Output  struct {
		Result []struct {
			JrID     string `json:"jr_id"`
			RuleID   string `json:"rule_id"`
			Category string `json:"category"`
			SevDeg   string `json:"sev_deg"`
			VolaAmt  string `json:"vola_amt"`
			Details  []struct {
				RxID string `json:"rx_id"`
				Type string `json:"vola_item_type"`
			} `json:"judge_result_detail_dtos"`
		} `json:"result"`
		Recorded int `json:"recorded"`
	} `json:"output"`
}

func post(t testing.TB, url, body string) (reply, int) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %q: %v", b, err)
	}
	return r, resp.StatusCode
}

func TestOnlineAuditAndFeedback(t *testing.T) {
	srv := newServer(t)
	r, code := post(t, srv.URL+"/nhsa/3101", request3101)
	if code != 200 || r.Infcode != 0 {
		t.Fatalf("%d %+v", code, r)
	}
	got := map[string]string{}
	for _, x := range r.Output.Result {
		got[x.Category] = x.Details[0].RxID
	}
	if got["sex_restriction"] != "R1" || got["duplicate_charge"] != "R3" || len(r.Output.Result) != 2 {
		t.Fatalf("%+v", r.Output.Result)
	}
	for _, x := range r.Output.Result {
		if x.Category == "duplicate_charge" && (len(x.Details) != 2 || x.Details[1].RxID != "R2" || x.Details[1].Type != "2" || x.SevDeg != "1" || x.VolaAmt != "36.00") {
			t.Fatalf("duplicate details %+v", x)
		}
	}
	// 3102 takes the same body; rule_ids restrict the rules.
	r2, _ := post(t, srv.URL+"/nhsa/3102", strings.Replace(strings.Replace(request3101, `"3101"`, `"3102"`, 1), `"syscode":"HIS"`, `"syscode":"HIS","rule_ids":["SEX-001"]`, 1))
	if r2.Infcode != 0 || len(r2.Output.Result) != 1 || r2.Output.Result[0].RuleID != "SEX-001" {
		t.Fatalf("3102 %+v", r2)
	}
	fb := `{"infno":"3103","msgid":"M2","input":{"data":{"jr_id":"` + r.Output.Result[0].JrID + `","dspo_way":"3","dspo_way_rea":"医嘱录入错误，已更正"}}}`
	if r3, _ := post(t, srv.URL+"/nhsa/3103", fb); r3.Infcode != 0 || r3.Output.Recorded != 1 {
		t.Fatalf("3103 %+v", r3)
	}
	if r4, _ := post(t, srv.URL+"/nhsa/3103", strings.Replace(fb, r.Output.Result[0].JrID, "nope", 1)); r4.Infcode == 0 || !strings.Contains(r4.ErrMsg, "不存在") {
		t.Fatalf("unknown jr_id %+v", r4)
	}
}

func TestMalformedRequestsGetTheEnvelope(t *testing.T) {
	srv := newServer(t)
	for name, body := range map[string]string{
		"not json":      `{"infno":`,
		"wrong infno":   strings.Replace(request3101, `"3101"`, `"3102"`, 1),
		"no data":       `{"infno":"3101","input":{}}`,
		"no patients":   `{"infno":"3101","input":{"data":{"patient_dtos":[]}}}`,
		"bad number":    strings.Replace(request3101, `"cnt":"2"`, `"cnt":"two"`, 1),
		"object as cnt": strings.Replace(request3101, `"cnt":"2"`, `"cnt":{}`, 1),
		"no current":    strings.Replace(request3101, `"curr_mdtrt_id":"E1"`, `"curr_mdtrt_id":"E9"`, 1),
		"too large":     `{"infno":"3101","pad":"` + strings.Repeat("x", 9<<20) + `"}`,
	} {
		r, code := post(t, srv.URL+"/nhsa/3101", body)
		if code != 200 || r.Infcode == 0 || r.ErrMsg == "" || strings.Contains(r.ErrMsg, "goroutine") {
			t.Errorf("%s: %d %+v", name, code, r)
		}
	}
}

// TestOnlineAuditLatency is a bounded load test on loopback: 200 requests a second for
// 5 seconds; the 99th percentile latency must stay within 20 ms.
func TestOnlineAuditLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	srv := newServer(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const rate, seconds = 200, 5
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	defer tick.Stop()
	failures := 0
	for i := 0; i < rate*seconds; i++ {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := client.Post(srv.URL+"/nhsa/3101", "application/json", strings.NewReader(request3101))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || resp.StatusCode != 200 {
				failures++
			}
			lat = append(lat, d)
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	t.Logf("%d requests at %d/s: p50 %v, p99 %v, max %v", len(lat), rate, p50, p99, lat[len(lat)-1])
	if failures > 0 || p99 > 20*time.Millisecond {
		t.Fatalf("failures %d, p99 %v (limit 20ms)", failures, p99)
	}
}
