package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// contractDoc builds a settlement document of the canonical shape for the audit contract.
type contractDoc struct {
	id, person, hosp, way, flag string
	adm, dis                    time.Time
	dx                          [][3]string // code, maindiag_flag, diag_type
	lines                       []contractLine
}

type contractLine struct {
	code, cat string
	at        time.Time
	qty       int
	price     float64
	order     string
}

func (d contractDoc) json() string {
	var fees []map[string]any
	total := 0.0
	for i, l := range d.lines {
		amt := float64(l.qty) * l.price
		total += amt
		f := map[string]any{"feedetl_sn": fmt.Sprint(i + 1), "fee_ocur_time": l.at.Format("2006-01-02 15:04:05"), "med_list_codg": l.code,
			"med_chrgitm_type": l.cat, "cnt": l.qty, "pric": l.price, "det_item_fee_sumamt": amt}
		if l.order != "" {
			f["rx_drord_no"] = l.order
		}
		fees = append(fees, f)
	}
	var dx []map[string]any
	for _, x := range d.dx {
		dx = append(dx, map[string]any{"diag_code": x[0], "maindiag_flag": x[1], "diag_type": x[2]})
	}
	doc := map[string]any{
		"setlinfo": map[string]any{"setl_id": d.id, "mdtrt_id": "M" + d.id, "psn_no": d.person, "fixmedins_code": d.hosp, "gend": "1",
			"brdy": "1960-05-01", "ipt_med_type": "21", "adm_time": d.adm.Format("2006-01-02 15:04:05"), "dscg_time": d.dis.Format("2006-01-02 15:04:05"),
			"dscg_way": d.way, "days_rinp_flag_31": d.flag, "medfee_sumamt": total},
		"diseinfo": dx, "feedetl": fees,
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// careStay bills bed and nursing every day and an infusion on the first careDays days.
func careStay(id, person, hosp, way, flag, pdx string, adm time.Time, days, careDays int) contractDoc {
	d := contractDoc{id: id, person: person, hosp: hosp, way: way, flag: flag, adm: adm, dis: time.Date(adm.Year(), adm.Month(), adm.Day()+days, 10, 0, 0, 0, time.UTC),
		dx: [][3]string{{pdx, "1", "1"}}}
	for k := 0; k < days; k++ {
		day := time.Date(adm.Year(), adm.Month(), adm.Day()+k, 12, 0, 0, 0, time.UTC)
		d.lines = append(d.lines, contractLine{"BED", "01", day, 1, 60, ""}, contractLine{"NURSE", "07", day.Add(time.Minute), 1, 28, ""})
		if k < careDays {
			d.lines = append(d.lines, contractLine{"IV", "05", day.Add(2 * time.Minute), 1, 15, ""})
		}
	}
	return d
}

// The issue's hand-written cases through the unchanged stateless contract
// (yibao audit --kb DIR --in FILE... --out findings.csv).
func TestAuditContractOnTheIssuesCases(t *testing.T) {
	dir := t.TempDir()
	kb := filepath.Join(dir, "kb")
	os.MkdirAll(kb, 0o755)
	os.WriteFile(filepath.Join(kb, "items.csv"), []byte("code,name,sex,min_age,max_age,indications,min_hosp_level,max_qty_per_day,max_qty_per_stay,max_price,auto_daily\n"+
		"BED,床位费,,,,,,1,,,1\nNURSE,二级护理,,,,,,1,,,1\nIV,静脉输液,,,,,,,,,\nGLU,血糖监测,,,,,,8,,,\nDRUG,头孢曲松,,,,,,,,,\n"), 0o644)
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	var docs []contractDoc
	// Planned chemotherapy: the flag is on the earlier stay; 10 days later, no split.
	docs = append(docs, careStay("C1", "P1", "H1", "1", "2", "Z51.100", t0, 4, 4), careStay("C2", "P1", "H1", "1", "1", "Z51.100", t0.AddDate(0, 0, 14), 4, 4))
	// The same without the flag: a split admission, on the early discharge.
	docs = append(docs, careStay("U1", "P2", "H1", "1", "1", "J18.900", t0, 4, 4), careStay("U2", "P2", "H2", "1", "1", "J18.900", t0.AddDate(0, 0, 14), 4, 4))
	// A transfer: H1 discharges with dscg_way 2 at 10:00, H2 admits at 11:00.
	t1 := careStay("T1", "P3", "H1", "2", "1", "I21.000", t0, 5, 5)
	t2 := careStay("T2", "P3", "H2", "1", "1", "I21.000", t1.dis.Add(time.Hour), 6, 6)
	docs = append(docs, t1, t2)
	// Refunds: +10 −4 of a test limited to 8 a day; bill, full refund, re-bill.
	r := careStay("R1", "P4", "H1", "1", "1", "E11.900", t0, 3, 3)
	d1 := t0.Add(26 * time.Hour)
	r.lines = append(r.lines, contractLine{"GLU", "04", d1, 10, 8, ""}, contractLine{"GLU", "04", d1.Add(6 * time.Hour), -4, 8, ""},
		contractLine{"DRUG", "09", d1, 2, 20, "RX1"}, contractLine{"DRUG", "09", d1.Add(time.Hour), -2, 20, "RX1"}, contractLine{"DRUG", "09", d1, 2, 20, "RX1"})
	docs = append(docs, r)
	// Bed-hanging: 2 days of care, then 8 days of bed and nursing only.
	docs = append(docs, careStay("B1", "P5", "H1", "1", "1", "I63.900", t0, 10, 2))
	// TCM diagnoses beside the western one.
	tcm := careStay("M1", "P6", "H3", "1", "1", "I63.900", t0, 4, 4)
	tcm.dx = append(tcm.dx, [3]string{"BNG080", "1", "2"}, [3]string{"ZBF110", "1", "3"})
	docs = append(docs, tcm)
	// An external cause as principal: rejected at ingest, so not audited.
	docs = append(docs, careStay("V1", "P7", "H1", "1", "1", "V89.200", t0, 3, 3))
	var sb strings.Builder
	for _, d := range docs {
		sb.WriteString(d.json() + "\n")
	}
	in := filepath.Join(dir, "cases.ndjson")
	os.WriteFile(in, []byte(sb.String()), 0o644)
	out := filepath.Join(dir, "findings.csv")
	code, stdout, errs := runCLI(t, "audit", "--kb", kb, "--in", in, "--out", out)
	errs = stdout + errs
	if code != 0 {
		t.Fatal(errs)
	}
	if !strings.Contains(errs, "audited 9 settlements") {
		t.Errorf("the V89.200 principal should be rejected, the TCM stay audited: %s", errs)
	}
	var got []string
	for _, row := range readCSV(t, out)[1:] {
		got = append(got, row[0]+":"+row[3]+"@"+row[6])
	}
	if strings.Join(got, ",") != "B1:BED-001@H1,U1:SPL-001@H1" {
		t.Fatalf("findings %v", got)
	}
	for _, row := range readCSV(t, out)[1:] {
		if row[3] == "BED-001" && row[5] != "704.00" { // 8 idle days × (60 + 28)
			t.Errorf("bed-hanging amount %s", row[5])
		}
		if row[3] == "SPL-001" && !strings.Contains(row[8], "U2") {
			t.Errorf("split evidence must name the readmission: %s", row[8])
		}
	}
}
