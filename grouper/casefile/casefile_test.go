package casefile_test

import (
	"io"
	"strings"
	"testing"

	"github.com/yibao-dev/yibao/grouper"
	"github.com/yibao-dev/yibao/grouper/casefile"
	"github.com/yibao-dev/yibao/schemes"
)

// TestRowsOutliveLaterReads: the reader hands out fields without copying them, which is
// only right if a row read earlier keeps its values after later reads; icu_hours is read
// when present and empty when absent; another column order is fine.
func TestRowsOutliveLaterReads(t *testing.T) {
	s, err := grouper.Parse(schemes.DemoDRG)
	if err != nil {
		t.Fatal(err)
	}
	body := "procedures,icu_hours,diagnoses,id,dept,los,discharge\n47.0100|,12.5,K35.800x001|I10.x00,A,ICU,04,2\n,,J18.900,B,,,\n"
	r, err := casefile.NewReader(strings.NewReader(body), s)
	if err != nil {
		t.Fatal(err)
	}
	var cs []grouper.Case
	for {
		var c grouper.Case
		if err := r.Read(&c); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	a := cs[0]
	if a.ID != "A" || a.ICUHours != "12.5" || a.Dept != "ICU" || a.LOS != "04" || a.Discharge != "2" ||
		strings.Join(a.Diagnoses, "|") != "K35.800x001|I10.x00" || len(a.Procedures) != 2 || cs[1].ID != "B" || cs[1].ICUHours != "" {
		t.Fatalf("%+v", cs)
	}
	// Without the column, icu_hours is empty.
	r, _ = casefile.NewReader(strings.NewReader("id,diagnoses\nC,J18.900\n"), s)
	var c grouper.Case
	if err := r.Read(&c); err != nil || c.ICUHours != "" || c.ID != "C" {
		t.Fatalf("%+v %v", c, err)
	}
}
