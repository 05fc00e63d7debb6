package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yibao-dev/yibao"
)

func benchSettlement(i int) *yibao.Settlement {
	adm := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	s := &yibao.Settlement{ID: fmt.Sprintf("S%09d", i), EncounterID: "M1", Hospital: "H1", MedType: "21", Inpatient: true,
		Admission: adm, Discharge: adm.Add(8 * 24 * time.Hour), LOS: 8,
		Patient:   yibao.Patient{Pseudonym: fmt.Sprintf("%032x", i/3), Sex: 1, Age: 60, AgeDays: -1},
		Diagnoses: []yibao.Diagnosis{{Code: "J18.900", Name: "肺炎", Principal: true}, {Code: "I10.x00", Name: "高血压"}}}
	for j := 0; j < 30; j++ {
		s.Fees = append(s.Fees, yibao.FeeLine{Serial: fmt.Sprint(j + 1), Time: adm.Add(time.Duration(j) * time.Hour), ListCode: "XJ01DDA001",
			Name: "注射用头孢曲松钠", Category: "09", ListClass: "01", Qty: 2_000_000, Price: 18_000_000, Amount: 3600, Dept: "A03.01", Doctor: "D0001"})
	}
	return s
}

// BenchmarkPutSettlements measures the store alone: batches of 2,000 stays of 30 lines.
func BenchmarkPutSettlements(b *testing.B) {
	st, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	batch := make([]*yibao.Settlement, 2000)
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for j := range batch {
			batch[j] = benchSettlement(n)
			n++
		}
		if _, err := st.PutSettlements(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "settlements/s")
}
