package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The contract's CSV readers take hostile files: any bytes give cases or a named error.
func FuzzReadCases(f *testing.F) {
	f.Add([]byte("id,hospital,drg,adrg,status,cost,los,dscg_way,patient_paid,review,deduction\nc1,H1,AA11,AA1,grouped,4000.00,5,1,1000.00,,\n"))
	f.Add([]byte("drg,adrg,cases,mean_cost,mean_los,rw,base_points,source\nAA11,AA1,5,4000.00,5.00,0.5714,57.1400,own\n"))
	f.Add([]byte("\ufeffid,\"hos\npital\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "in.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		readCases(p, true)
		readCases(p, false)
		readWeightsCSV(p)
		readOfficial(p)
	})
}
