package yibao

import "testing"

func TestValidID(t *testing.T) {
	for _, s := range []string{"S1", "H32010200001", "A03.06", "fee_1-2", "XJ01DDA001"} {
		if !ValidID(s) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", ".", "..", "../../tmp/x", `F"><img src=x onerror=alert(1)>`, "a/b", `a\b`, "a b", "a\nb", "码",
		"=HYPERLINK(1)", ".hidden", string(make([]byte, MaxIDLen+1))} {
		if ValidID(s) {
			t.Errorf("%q accepted", s)
		}
	}
}
