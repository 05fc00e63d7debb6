package dipfile_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao"
	"github.com/yibao-dev/yibao/dip"
	"github.com/yibao-dev/yibao/dip/dipfile"
)

const header = "id,sex,age,age_days,weight,dept,los,discharge,diagnoses,procedures,hospital,level,cost,patient_paid,review,deduction\n"

func TestReadCases(t *testing.T) {
	cs, err := dipfile.ReadCases(strings.NewReader(header+
		"A1,1,70,,,,4,5,K35.800|C1|,47.0901|89.5200,H1,3,1234.50,300,approved,10\n"+
		"A2,2,0,20,3000,,2,1,P07.300,,H1,2,99.99,0,,\n"), "cases.csv", true)
	if err != nil {
		t.Fatal(err)
	}
	a := cs[0]
	if a.Age != 70 || a.LOS != 4 || a.Discharge != "5" || len(a.Diagnoses) != 3 || a.Diagnoses[2] != "" || len(a.Procedures) != 2 ||
		a.Cost != 123450 || a.Paid != 30000 || a.Review != "approved" || a.Deduction != 1000 || a.Level != "3" {
		t.Fatalf("%+v", a)
	}
	if cs[1].AgeDays != 20 || cs[1].Procedures != nil {
		t.Fatalf("%+v", cs[1])
	}
	for _, bad := range []string{
		"A1,1,70,,,,4,5,K35.800,,H1,3,12.345,3,,\n",                                    // three decimals
		"A1,1,70,,,,4,5,K35.800,,H1,3,-1,3,,\n",                                        // negative cost
		"A1,1,70,,,,4,5,K35.800,,,3,100,3,,\n",                                         // no hospital
		"A1,1,70,,,,4,5,K35.800,,H1,3,100,,,\n",                                        // no patient_paid
		"A1,1,x,,,,4,5,K35.800,,H1,3,100,3,,\n",                                        // age
		"A1,1,70,,,,4,5,K35.800,,H1,3,100,3,maybe,\n",                                  // review
		"<b>,1,70,,,,4,5,K35.800,,H1,3,100,3,,\n",                                      // id
		"A1,1,70,,,,4,5,K35.800,,H1,3,100,3,,\nA1,1,70,,,,4,5,K35.800,,H1,3,100,3,,\n", // duplicate
	} {
		_, err := dipfile.ReadCases(strings.NewReader(header+bad), "cases.csv", true)
		if err == nil || !strings.Contains(err.Error(), "cases.csv") || !strings.Contains(err.Error(), "line") {
			t.Errorf("%q: error %v", bad, err)
		}
	}
	if _, err := dipfile.ReadCases(strings.NewReader("id,diagnoses\n"), "x.csv", false); err == nil {
		t.Error("missing cost column accepted")
	}
}

func TestCatalogueRoundTrip(t *testing.T) {
	e := &dip.Engine{Policy: dip.DefaultPolicy(), Classes: dip.BuiltinClasses(), Severity: dip.BuiltinSeverity()}
	var cs []dip.Case
	for i := 0; i < 20; i++ {
		cs = append(cs, dip.Case{ID: string(rune('a'+i)) + "x", AgeDays: -1, Age: 70, Diagnoses: []string{"K35.800"}, Procedures: []string{"47.0901"},
			Level: []string{"2", "3"}[i%2], Cost: yibao.Fen(500000 + i*100)})
	}
	cat, err := e.Build(cs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := dipfile.WriteCatalogue(&b, cat); err != nil {
		t.Fatal(err)
	}
	got, err := dipfile.ReadCatalogue(bytes.NewReader(b.Bytes()), "catalogue.csv")
	if err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	dipfile.WriteCatalogue(&b2, got)
	if b.String() != b2.String() {
		t.Fatalf("round trip differs:\n%s\n%s", b.String(), b2.String())
	}
	if !strings.HasPrefix(b.String(), "group,kind,category,class,cases,mean_cost,score,") {
		t.Fatal("contract columns first")
	}
}

func FuzzReadCases(f *testing.F) {
	f.Add([]byte(header + "A1,1,70,,,,4,5,K35.800|C1,47.0901,H1,3,1234.50,300,approved,10\n"))
	f.Add([]byte("id,diagnoses,cost\n\"a,b\",x,1\n"))
	f.Add([]byte("\ufeffid,diagnoses,cost,cost\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := dipfile.ReadCases(bytes.NewReader(b), "f.csv", true)
		if err != nil {
			return
		}
		e := &dip.Engine{Policy: dip.DefaultPolicy(), Classes: dip.BuiltinClasses(), Severity: dip.BuiltinSeverity()}
		var ref []dip.Case
		for i := 0; i < 3; i++ {
			ref = append(ref, dip.Case{ID: "r", AgeDays: -1, Diagnoses: []string{"K35.800"}, Cost: 100000})
		}
		cat, err := e.Build(ref)
		if err != nil {
			t.Fatal(err)
		}
		var priced []dip.Priced
		for i, c := range cs {
			if c.ID == "" || c.Hospital == "" || c.Cost < 0 || c.Paid < 0 {
				t.Fatalf("accepted bad case %+v", c)
			}
			p, err := e.Price(cat, &cs[i])
			if err != nil {
				return // out-of-range input is refused with an error
			}
			priced = append(priced, p)
		}
		s, err := dip.Settle(priced, 100)
		if err == nil && len(s.Cases) != len(cs) {
			t.Fatalf("%d cases in, %d out", len(cs), len(s.Cases))
		}
	})
}

func FuzzReadCatalogue(f *testing.F) {
	f.Add([]byte(strings.Join(dipfile.CatalogueColumns, ",") + "\nK35.8:47.0901,core,K35.8,相关手术,20,6095.00,1302.7151,20,47.0901,2=6090.00;3=6100.00,none=1.0000,4678.69,p\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cat, err := dipfile.ReadCatalogue(bytes.NewReader(b), "c.csv")
		if err == nil {
			e := &dip.Engine{Policy: dip.DefaultPolicy(), Classes: dip.BuiltinClasses(), Severity: dip.BuiltinSeverity()}
			c := dip.Case{ID: "x", AgeDays: -1, Diagnoses: []string{"K35.800"}, Procedures: []string{"47.0901"}, Cost: 100}
			if _, err := e.Price(cat, &c); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(dip.DefaultPolicyJSON())
	f.Add([]byte(`{"format":"yibao-dip-policy","version":"x","rules":{"low_ratio":{"value":0.6,"source":"s"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := dip.ParsePolicy(b)
		if err == nil && (p.Rules.CoreMinCases.Value < 1 || p.Rules.LowRatio.Value >= p.Rules.HighRatio.Value) {
			t.Fatalf("accepted invalid policy %+v", p.Rules)
		}
	})
}

func FuzzClassTable(f *testing.F) {
	f.Add([]byte("prefix,class\n47,相关手术\n47.09,不计入\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tab, err := dip.ParseClassTable(bytes.NewReader(b))
		if err == nil {
			tab.Class("47.0901")
			tab.Class("")
		}
	})
}

func TestReadDecisions(t *testing.T) {
	d, err := dipfile.ReadDecisions(strings.NewReader("id,review,deduction\nA,approved,\nB,不通过,12.50\nC,,\n"), "r.csv")
	if err != nil || d["A"].Review != "approved" || d["B"].Review != "rejected" || d["B"].Deduction != 1250 || len(d) != 3 {
		t.Fatalf("%v %+v", err, d)
	}
	for _, bad := range []string{"id,review\nA,maybe\n", "id,review\nA,\nA,\n", "id,deduction\nA,-1\n", "review\nx\n"} {
		if _, err := dipfile.ReadDecisions(strings.NewReader(bad), "r.csv"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestPaymentsRowsAddUp: a pending special-review case earns nothing and its patient payment is
// not in P (issue 13, "P the patients' actual payments on the cases that earn points"), so its
// row shows patient_paid 0 like the DRG contract; every row keeps fund_paid = amount −
// patient_paid − deduction, and the rows of a hospital add up to its hospitals.csv line.
// Hand calculation: reference 15 appendectomies at 6000.00 (level 3) → Ā = Ā_g = 6000.00,
// S = 1000. Case a costs 6000.00 (r = 1, normal, 1000 points), paid 600.00; case p costs
// 30000.01 (r > 5, special review pending, 0 points), paid 3000.00, deduction 10.00.
// B = 400.00: P = 600.00, T = 1000, B + P = 1000.00 → a: amount 1000.00, fund 400.00;
// p: amount 0, patient_paid 0, fund −10.00; hospital: 1000.00, 600.00, 10.00, 390.00.
func TestPaymentsRowsAddUp(t *testing.T) {
	e := &dip.Engine{Policy: dip.DefaultPolicy(), Classes: dip.BuiltinClasses(), Severity: dip.BuiltinSeverity()}
	var ref []dip.Case
	for i := 0; i < 15; i++ {
		ref = append(ref, dip.Case{ID: "r" + string(rune('a'+i)), AgeDays: -1, Age: 40, Diagnoses: []string{"K35.800"},
			Procedures: []string{"47.0901"}, Level: "3", Cost: 600000})
	}
	cat, err := e.Build(ref)
	if err != nil {
		t.Fatal(err)
	}
	cases := []dip.Case{
		{ID: "a", AgeDays: -1, Age: 40, Diagnoses: []string{"K35.800"}, Procedures: []string{"47.0901"}, Hospital: "HA", Level: "3", Cost: 600000, Paid: 60000},
		{ID: "p", AgeDays: -1, Age: 40, Diagnoses: []string{"K35.800"}, Procedures: []string{"47.0901"}, Hospital: "HA", Level: "3", Cost: 3000001, Paid: 300000, Deduction: 1000},
	}
	var priced []dip.Priced
	for i := range cases {
		p, err := e.Price(cat, &cases[i])
		if err != nil {
			t.Fatal(err)
		}
		priced = append(priced, p)
	}
	s, err := dip.Settle(priced, 40000)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := dipfile.WritePayments(&b, s); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(b.String()), "\n")
	cols := func(r string) string {
		f := strings.Split(r, ",")
		return strings.Join([]string{f[0], f[3], f[8], f[9], f[10], f[11]}, ",")
	}
	want := []string{"a,normal,1000.0000,1000.00,600.00,400.00", "p,special_review,0.0000,0.00,0.00,-10.00"}
	for i, w := range want {
		if got := cols(rows[i+1]); got != w {
			t.Errorf("row %d: got %s, want %s", i+1, got, w)
		}
	}
	h := s.Points.Hospitals[0]
	if h.Amount.String() != "1000.00" || h.PatientPaid.String() != "600.00" || h.Deduction.String() != "10.00" || h.FundPaid.String() != "390.00" {
		t.Errorf("hospital: %+v", h)
	}
}
