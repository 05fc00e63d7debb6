package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao"
)

// memSink keeps what ingest hands over, with the store's versioning semantics.
type memSink struct {
	hospitals []yibao.Hospital
	current   map[string]string // setl_id → canonical JSON of the current version
	versions  map[string]int
	loaded    []*yibao.Settlement
}

func newMemSink() *memSink { return &memSink{current: map[string]string{}, versions: map[string]int{}} }

func (m *memSink) PutHospitals(_ context.Context, hs []yibao.Hospital) error {
	m.hospitals = append(m.hospitals, hs...)
	return nil
}

func (m *memSink) PutSettlements(_ context.Context, ss []*yibao.Settlement) ([]Outcome, error) {
	out := make([]Outcome, len(ss))
	for i, s := range ss {
		c := *s
		c.Origin = yibao.Origin{} // where a document came from is not its content
		b, _ := json.Marshal(c)
		switch cur, ok := m.current[s.ID]; {
		case !ok:
			out[i] = Loaded
		case cur == string(b):
			out[i] = Duplicate
			continue
		default:
			out[i] = NewVersion
		}
		m.current[s.ID] = string(b)
		m.versions[s.ID]++
		m.loaded = append(m.loaded, s)
	}
	return out, nil
}

const goodDoc = `{"setlinfo":{"setl_id":"S1","mdtrt_id":"M1","psn_no":"P0000123","certno":"320102195803020011","psn_name":"张三",
  "fixmedins_code":"H1","gend":"1","brdy":"1958-03-02","age":66,"hi_type":"310",
  "ipt_med_type":"21","adm_time":"2024-03-01 09:12:00","dscg_time":"2024-03-06 10:00:00",
  "act_ipt_days":5,"dscg_way":"1","medfee_sumamt":420.50,"hifp_payamt":300.00},
 "diseinfo":[{"diag_code":"I10.x05","diag_name":"高血压3级","maindiag_flag":"0"},
             {"diag_code":"K35.800x001","diag_name":"急性阑尾炎","maindiag_flag":"1"},
             {"diag_code":"A18.300x009+K93.0*","maindiag_flag":"0"}],
 "oprninfo":[{"oprn_oprt_code":"47.0100","oprn_oprt_name":"腹腔镜下阑尾切除术"},{"oprn_oprt_code":"96.0800x005"}],
 "feedetl":[{"feedetl_sn":"1","fee_ocur_time":"2024-03-01 10:00:00","med_list_codg":"001102000010000",
             "hilist_name":"床位费","med_chrgitm_type":"01","cnt":5,"pric":60,"det_item_fee_sumamt":300},
            {"feedetl_sn":"2","fee_ocur_time":"2024-03-02 10:00:00","hilist_code":"XJ01DDA001","chrg_type":"09",
             "cnt":"3","pric":"40.166667","sumamt":120.50,"unknown_field":{"x":[1,2]}}]}`

func ingestFiles(t *testing.T, files map[string]string) (Summary, *memSink, []Reject) {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sink := newMemSink()
	var rejects bytes.Buffer
	ps, _ := NewPseudonymiser([]byte("0123456789abcdef0123456789abcdef"))
	sum, err := Run(context.Background(), sink, paths, Options{Pseudonymiser: ps, Rejects: &rejects})
	if err != nil {
		t.Fatal(err)
	}
	var rs []Reject
	for _, line := range bytes.Split(bytes.TrimSpace(rejects.Bytes()), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r Reject
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("rejects line %q: %v", line, err)
		}
		rs = append(rs, r)
	}
	return sum, sink, rs
}

func TestGoodDocumentLoadsNormalisedAndPseudonymised(t *testing.T) {
	sum, sink, rejects := ingestFiles(t, map[string]string{"a.json": goodDoc})
	if sum.Loaded != 1 || len(rejects) != 0 {
		t.Fatalf("summary %+v rejects %+v", sum, rejects)
	}
	s := sink.loaded[0]
	if s.Diagnoses[0].Code != "K35.800x001" || !s.Diagnoses[0].Principal {
		t.Errorf("principal diagnosis not first: %+v", s.Diagnoses)
	}
	if !s.Procedures[0].Principal || s.Procedures[1].Principal {
		t.Errorf("first procedure should be principal when no flag is set: %+v", s.Procedures)
	}
	if s.Pay.Total != 42050 || s.Fees[1].Amount != 12050 || s.Fees[1].Price != 40_166_667 || s.Fees[1].ListCode != "XJ01DDA001" {
		t.Errorf("amounts or aliases wrong: %+v %+v", s.Pay, s.Fees[1])
	}
	if !s.Inpatient || s.LOS != 5 || s.Patient.Age != 66 {
		t.Errorf("stay: %+v", s)
	}
	raw, _ := json.Marshal(s)
	for _, clear := range []string{"P0000123", "320102195803020011", "张三"} {
		if strings.Contains(string(raw), clear) {
			t.Errorf("personal data %q reached the sink", clear)
		}
	}
	if len(s.Patient.Pseudonym) != 32 || s.Patient.Pseudonym == s.Patient.CertPseudonym {
		t.Errorf("pseudonyms %q %q", s.Patient.Pseudonym, s.Patient.CertPseudonym)
	}
	// Same person, same key: same pseudonym in another file and run.
	_, sink2, _ := ingestFiles(t, map[string]string{"b.ndjson": strings.ReplaceAll(strings.ReplaceAll(goodDoc, "\n", ""), `"S1"`, `"S9"`)})
	if sink2.loaded[0].Patient.Pseudonym != s.Patient.Pseudonym {
		t.Error("pseudonym not stable across runs")
	}
}

// mutate returns goodDoc with old replaced by new (exactly once).
func mutate(t *testing.T, old, new string) string {
	t.Helper()
	if strings.Count(goodDoc, old) != 1 {
		t.Fatalf("%q occurs %d times in goodDoc", old, strings.Count(goodDoc, old))
	}
	return strings.Replace(goodDoc, old, new, 1)
}

func TestEachValidationRuleRejectsWithFieldAndReason(t *testing.T) {
	cases := []struct {
		name, old, new, field, code string
	}{
		{"missing setl_id", `"setl_id":"S1",`, ``, "setlinfo.setl_id", "missing"},
		{"missing psn_no", `"psn_no":"P0000123",`, ``, "setlinfo.psn_no", "missing"},
		{"bad sex", `"gend":"1"`, `"gend":"M"`, "setlinfo.gend", "bad_value"},
		{"bad birth date", `"brdy":"1958-03-02"`, `"brdy":"1958-02-30"`, "setlinfo.brdy", "bad_date"},
		{"born after admission", `"brdy":"1958-03-02","age":66`, `"brdy":"2025-01-01"`, "setlinfo.brdy", "born_after_admission"},
		{"age vs birth date", `"age":66`, `"age":40`, "setlinfo.age", "age_inconsistent"},
		{"bad time", `"adm_time":"2024-03-01 09:12:00"`, `"adm_time":"2024/03/01"`, "setlinfo.adm_time", "bad_time"},
		{"discharge before admission", `"dscg_time":"2024-03-06 10:00:00"`, `"dscg_time":"2024-02-06 10:00:00"`, "setlinfo.dscg_time", "discharge_before_admission"},
		{"los inconsistent", `"act_ipt_days":5`, `"act_ipt_days":9`, "setlinfo.act_ipt_days", "los_inconsistent"},
		{"NaN amount", `"medfee_sumamt":420.50`, `"medfee_sumamt":"NaN"`, "setlinfo.medfee_sumamt", "not_number"},
		{"amount with 3 decimals", `"medfee_sumamt":420.50`, `"medfee_sumamt":420.505`, "setlinfo.medfee_sumamt", "bad_amount"},
		{"wrong type", `"medfee_sumamt":420.50`, `"medfee_sumamt":true`, "setlinfo.medfee_sumamt", "wrong_type"},
		{"no principal", `"maindiag_flag":"1"`, `"maindiag_flag":"0"`, "diseinfo", "principal_count"},
		{"bad ICD-10", `"diag_code":"K35.800x001"`, `"diag_code":"k35.8"`, "diseinfo[1].diag_code", "bad_icd10"},
		{"bad ICD-9-CM-3", `"oprn_oprt_code":"47.0100"`, `"oprn_oprt_code":"470100"`, "oprninfo[0].oprn_oprt_code", "bad_icd9cm3"},
		{"pregnancy for a male", `"diag_code":"I10.x05"`, `"diag_code":"O80.900"`, "diseinfo[0].diag_code", "sex_specific_diagnosis"},
		{"duplicate serial", `"feedetl_sn":"2"`, `"feedetl_sn":"1"`, "feedetl[1].feedetl_sn", "duplicate_serial"},
		{"line amount mismatch", `"sumamt":120.50`, `"sumamt":130.50`, "feedetl[1].det_item_fee_sumamt", "amount_mismatch"},
		{"total mismatch", `"medfee_sumamt":420.50`, `"medfee_sumamt":400.50`, "setlinfo.medfee_sumamt", "total_mismatch"},
		{"fee outside stay", `"fee_ocur_time":"2024-03-02 10:00:00"`, `"fee_ocur_time":"2024-04-02 10:00:00"`, "feedetl[1].fee_ocur_time", "fee_outside_stay"},
		{"bad category", `"chrg_type":"09"`, `"chrg_type":"9"`, "feedetl[1].med_chrgitm_type", "bad_category"},
		{"negative non-refund", `"cnt":5,"pric":60,"det_item_fee_sumamt":300`, `"cnt":5,"pric":60,"det_item_fee_sumamt":-300`, "feedetl[0].det_item_fee_sumamt", "negative_amount"},
		{"missing quantity", `"cnt":5,`, ``, "feedetl[0].cnt", "missing"},
		{"10 MB code", `"setl_id":"S1"`, `"setl_id":"` + strings.Repeat("x", 10<<20) + `"`, "setlinfo.setl_id", "too_long"},
		{"fund above total", `"hifp_payamt":300.00`, `"hifp_payamt":900.00`, "setlinfo.hifp_payamt", "exceeds_total"},
		{"external cause as principal", `"diag_code":"K35.800x001"`, `"diag_code":"V89.200"`, "diseinfo[1].diag_code", "principal_external_cause"},
		{"morphology as principal", `"diag_code":"K35.800x001"`, `"diag_code":"M8140/3"`, "diseinfo[1].diag_code", "principal_morphology"},
		{"TCM code as western", `"diag_code":"I10.x05","diag_name":"高血压3级","maindiag_flag":"0"`, `"diag_code":"BNG010","maindiag_flag":"0"`, "diseinfo[0].diag_code", "bad_icd10"},
		{"ICD-10 as TCM disease", `"diag_code":"I10.x05","diag_name":"高血压3级","maindiag_flag":"0"`, `"diag_code":"I10.x05","maindiag_flag":"0","diag_type":"2"`, "diseinfo[0].diag_code", "bad_tcm_code"},
		{"TCM disease as syndrome", `"diag_code":"I10.x05","diag_name":"高血压3级","maindiag_flag":"0"`, `"diag_code":"BNG010","maindiag_flag":"0","diag_type":"3"`, "diseinfo[0].diag_code", "bad_tcm_code"},
		{"bad diagnosis type", `"diag_code":"I10.x05","diag_name":"高血压3级","maindiag_flag":"0"`, `"diag_code":"I10.x05","maindiag_flag":"0","diag_type":"7"`, "diseinfo[0].diag_type", "bad_diag_type"},
		{"TCM principal instead of western", `"diag_code":"K35.800x001","diag_name":"急性阑尾炎","maindiag_flag":"1"`, `"diag_code":"BWV000","maindiag_flag":"1","diag_type":"2"`, "diseinfo", "principal_count"},
		{"other funds above total", `"oprninfo":`, `"payinfo":[{"fund_pay_type":"310100","fund_payamt":300},{"fund_pay_type":"390200","fund_payamt":200}],"oprninfo":`, "payinfo.fund_payamt", "exceeds_total"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := mutate(t, c.old, c.new)
			sum, _, rejects := ingestFiles(t, map[string]string{"a.json": "[" + doc + "," + strings.Replace(goodDoc, `"S1"`, `"S2"`, 1) + "]"})
			if sum.Loaded != 1 || sum.Rejected != 1 || len(rejects) != 1 {
				t.Fatalf("loaded %d rejected %d, want 1 and 1: %+v", sum.Loaded, sum.Rejected, rejects)
			}
			found := false
			for _, r := range rejects[0].Reasons {
				if r.Field == c.field && r.Code == c.code && r.EN != "" && r.ZH != "" {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %s/%s among %+v", c.field, c.code, rejects[0].Reasons)
			}
			if strings.Contains(string(rejects[0].Original), "P0000123") || strings.Contains(string(rejects[0].Original), "张三") {
				t.Error("rejects file holds personal data in clear")
			}
		})
	}
}

func TestRefundLineAndDateOnlyTimesAreAccepted(t *testing.T) {
	doc := mutate(t, `"cnt":5,"pric":60,"det_item_fee_sumamt":300`, `"cnt":6,"pric":60,"det_item_fee_sumamt":360},{"feedetl_sn":"9","fee_ocur_time":"2024-03-03","med_list_codg":"001102000010000","med_chrgitm_type":"01","cnt":-1,"pric":60,"det_item_fee_sumamt":-60`)
	sum, _, rejects := ingestFiles(t, map[string]string{"a.json": doc})
	if sum.Loaded != 1 {
		t.Fatalf("refund rejected: %+v", rejects)
	}
}

func TestMalformedStreams(t *testing.T) {
	good2 := strings.Replace(goodDoc, `"S1"`, `"S2"`, 1)
	cases := map[string]struct {
		body             string
		loaded, rejected int
	}{
		"truncated array":        {"[" + goodDoc + "," + good2[:200], 1, 1},
		"truncated ndjson":       {strings.ReplaceAll(goodDoc, "\n", "") + "\n" + strings.ReplaceAll(good2, "\n", "")[:300], 1, 1},
		"syntax error in middle": {"[" + goodDoc + `,{"setlinfo":{"setl_id":"X" "y"}},` + good2 + "]", 2, 1},
		"not an object":          {"[" + goodDoc + ",42,\"x\"," + good2 + "]", 2, 2},
		"empty array":            {"[]", 0, 0},
		"bom and blank lines":    {"\ufeff\n\n" + strings.ReplaceAll(goodDoc, "\n", "") + "\n\n", 1, 0},
		"setlinfo not object":    {`[{"setlinfo":[1]}]`, 0, 1},
		"feedetl wrong type":     {"[" + strings.Replace(goodDoc, `"feedetl":[`, `"feedetl":{"a":[`, 1) + "}]", 0, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sum, _, rejects := ingestFiles(t, map[string]string{"a.json": c.body})
			if sum.Loaded != c.loaded || sum.Rejected != c.rejected || len(rejects) != c.rejected {
				t.Fatalf("loaded %d rejected %d (want %d, %d): %+v", sum.Loaded, sum.Rejected, c.loaded, c.rejected, rejects)
			}
			for _, r := range rejects {
				if len(r.Reasons) == 0 || r.Record == 0 {
					t.Errorf("reject without reason or record number: %+v", r)
				}
			}
		})
	}
}

func TestVersionsAndIdempotency(t *testing.T) {
	changed := strings.Replace(goodDoc, `"dscg_way":"1"`, `"dscg_way":"5"`, 1)
	sum, sink, _ := ingestFiles(t, map[string]string{"a.json": "[" + goodDoc + "," + goodDoc + "," + changed + "]"})
	if sum.Loaded != 1 || sum.Duplicates != 1 || sum.NewVersions != 1 || sink.versions["S1"] != 2 {
		t.Fatalf("%+v versions %d", sum, sink.versions["S1"])
	}
}

const settlementsCSV = `setl_id,mdtrt_id,psn_no,certno,psn_name,fixmedins_code,gend,brdy,age,ipt_med_type,adm_time,dscg_time,act_ipt_days,medfee_sumamt,hifp_payamt,diagnoses,procedures
C1,M1,P1,,李四,H1,2,1980-05-01,43,21,2024-01-02 08:00:00,2024-01-05 09:00:00,3,100.00,50.00,J18.900|I10.x00,
C2,M2,P2,,,H1,1,1980-05-01,43,21,2024-01-02 08:00:00,2024-01-05 09:00:00,3,100.00,50.00,O80.900,
`

const feesCSV = `setl_id,feedetl_sn,fee_ocur_time,med_list_codg,hilist_name,med_chrgitm_type,chrgitm_lv,cnt,pric,det_item_fee_sumamt
C1,1,2024-01-02 09:00:00,001102000010000,床位费,01,01,1,60,60.00
C1,2,2024-01-03 09:00:00,XJ01DDA001,头孢曲松,09,01,2,20,40.00
C2,1,2024-01-02 09:00:00,001102000010000,床位费,01,01,1,100,100.00
C3,1,2024-01-02 09:00:00,001102000010000,床位费,01,01,1,100,100.00
`

func TestCSVPairAndRegistry(t *testing.T) {
	sum, sink, rejects := ingestFiles(t, map[string]string{
		"settlements.csv": settlementsCSV, "fees.csv": feesCSV,
		"hospitals.csv": "code,name,level,grade,type,specialty,region,beds\nH1,市一院,3,甲,general,,320102,1200\nH2,坏医院,7,,general,,320102,10\n",
	})
	if sum.Loaded != 1 || sum.Hospitals != 1 || sum.HospitalsRejected != 1 {
		t.Fatalf("%+v %+v", sum, rejects)
	}
	if got := sink.loaded[0]; got.ID != "C1" || len(got.Fees) != 2 || got.Pay.Total != 10000 || got.Diagnoses[0].Code != "J18.900" {
		t.Fatalf("loaded %+v", got)
	}
	// C2: a male with a pregnancy diagnosis; C3: fee lines without a settlement.
	want := map[string]string{"C2": "sex_specific_diagnosis", "C3": "orphan_fee_lines"}
	for _, r := range rejects {
		if code, ok := want[r.SetlID]; ok && r.Reasons[0].Code == code {
			delete(want, r.SetlID)
		}
	}
	if len(want) > 0 {
		t.Fatalf("missing rejects %v in %+v", want, rejects)
	}
}

func TestKeyFileIsCreatedPrivateAndReused(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(KeyEnv, "")
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, keyFile))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode().Perm())
	}
	k2, _ := LoadOrCreateKey(dir)
	if !bytes.Equal(k1, k2) || len(k1) != 32 {
		t.Fatal("key not reused")
	}
	t.Setenv(KeyEnv, "00112233445566778899aabbccddeeff")
	k3, _ := LoadOrCreateKey(dir)
	if len(k3) != 16 || bytes.Equal(k3, k1) {
		t.Fatal("env key not used")
	}
}

// TCM diagnoses (diag_type 2 disease, 3 syndrome) load beside the western ones, each with
// its own principal flag; the western principal goes first; external-cause and
// morphology codes are accepted as secondary codes.
func TestTCMAndSecondaryCodesAreAccepted(t *testing.T) {
	doc := mutate(t, `{"diag_code":"A18.300x009+K93.0*","maindiag_flag":"0"}`,
		`{"diag_code":"BNG010","diag_name":"中风病","maindiag_flag":"1","diag_type":"2"},{"diag_code":"ZBRJ20","maindiag_flag":"1","diag_type":"3"},`+
			`{"diag_code":"A04.03.01","maindiag_flag":"0","diag_type":"2"},{"diag_code":"B02.01.01.03","maindiag_flag":"0","diag_type":"3"},`+
			`{"diag_code":"V89.200","maindiag_flag":"0","adm_cond_type":"1"},{"diag_code":"M8140/3","maindiag_flag":"0"}`)
	sum, sink, rejects := ingestFiles(t, map[string]string{"a.json": doc})
	if sum.Loaded != 1 {
		t.Fatalf("rejected: %+v", rejects)
	}
	s := sink.loaded[0]
	if s.Diagnoses[0].Code != "K35.800x001" || s.PrincipalDiagnosis() != "K35.800x001" || len(s.Diagnoses) != 8 {
		t.Fatalf("%+v", s.Diagnoses)
	}
	for _, c := range []string{"BNG010", "BWV020", "A04.03.01", "A04.03.", "BNG010.01"} {
		if !ValidTCMDisease(c) {
			t.Errorf("%s should be a TCM disease code", c)
		}
	}
	for _, c := range []string{"ZBRJ20", "B02.01.01.03", "B02."} {
		if !ValidTCMSyndrome(c) {
			t.Errorf("%s should be a TCM syndrome code", c)
		}
	}
	for _, c := range []string{"K35.800", "bng010", "BN010", "B02.01.01.03", "ZBRJ20"} {
		if ValidTCMDisease(c) {
			t.Errorf("%s should not be a TCM disease code", c)
		}
	}
	for _, c := range []string{"BNG010", "Z", "A04.03.01"} {
		if ValidTCMSyndrome(c) {
			t.Errorf("%s should not be a TCM syndrome code", c)
		}
	}
}

func TestCodeSyntax(t *testing.T) {
	for _, c := range []string{"K35.800x001", "I10.x05", "A18.300x009+K93.0*", "E14.400x190+G59.0*", "O80.900", "C34.900x001", "K35", "M8140/3"} {
		if !ValidICD10(c) {
			t.Errorf("%s should be valid ICD-10", c)
		}
	}
	for _, c := range []string{"k35.8", "K35.8000x001", " K35.8", "K3", "K35.800x01", "A18.300x009+K93.0"} {
		if ValidICD10(c) {
			t.Errorf("%s should be invalid ICD-10", c)
		}
	}
	for _, c := range []string{"47.0100", "96.0800x005", "74.1x01", "28.2x00x002", "47"} {
		if !ValidICD9CM3(c) {
			t.Errorf("%s should be valid ICD-9-CM-3", c)
		}
	}
	for _, c := range []string{"470100", "47.01000", "4.01", "47.0100x5"} {
		if ValidICD9CM3(c) {
			t.Errorf("%s should be invalid ICD-9-CM-3", c)
		}
	}
}

func TestOutpatientVisitWithoutStayTimes(t *testing.T) {
	doc := `{"setlinfo":{"setl_id":"O1","mdtrt_id":"M1","psn_no":"P9","fixmedins_code":"H1","gend":"2","brdy":"1960-07-01",
	  "med_type":"14","setl_begn_date":"2024-06-01","setl_end_date":"2024-06-01","medfee_sumamt":48.0},
	 "diseinfo":[{"diag_code":"I10.x00","maindiag_flag":"1"}],
	 "feedetl":[{"feedetl_sn":"1","fee_ocur_time":"2024-06-01T10:00:00.123","med_list_codg":"XC08CAA001","med_chrgitm_type":"09","cnt":60,"pric":0.8,"det_item_fee_sumamt":48}]}`
	sum, sink, rejects := ingestFiles(t, map[string]string{"o.json": doc})
	if sum.Loaded != 1 {
		t.Fatalf("%+v", rejects)
	}
	if s := sink.loaded[0]; s.Inpatient || s.Patient.Age != 63 || s.Fees[0].Time.Hour() != 10 {
		t.Fatalf("%+v", s)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]int{"3": 3, "三级": 3, "三级甲等": 3, "2级": 2, "一级": 1, "": 0, "4": 0, "12": 0, "x": 0} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %d, want %d", in, got, want)
		}
	}
}
