package yibao

import "testing"

func TestParseYuan(t *testing.T) {
	cases := []struct {
		in   string
		want Fen
		bad  bool
	}{
		{"12874.50", 1287450, false}, {"0.01", 1, false}, {"-3", -300, false}, {"7.", 700, false},
		{".5", 50, false}, {"1.5e2", 15000, false}, {"0.015", 0, true}, {"1.230", 123, false},
		{"abc", 0, true}, {"", 0, true}, {"1e400", 0, true}, {"99999999999999999999", 0, true},
		{"NaN", 0, true}, {"--1", 0, true}, {".", 0, true},
	}
	for _, c := range cases {
		got, err := ParseYuan(c.in)
		if (err != nil) != c.bad || (!c.bad && got != c.want) {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d bad=%v", c.in, got, err, c.want, c.bad)
		}
	}
}

func TestDec6AndMulFen(t *testing.T) {
	q, _ := ParseDec6("3")
	p, _ := ParseDec6("12.345678")
	// 3 × 12.345678 = 37.037034 → 37.04 (half away from zero on the third decimal)
	if got := MulFen(q, p); got != 3704 {
		t.Fatalf("MulFen = %d, want 3704", got)
	}
	r, _ := ParseDec6("0.1234565")
	if r != 123457 {
		t.Fatalf("rounding 7th decimal: got %d", r)
	}
	n, _ := ParseDec6("-2.5")
	if got := MulFen(n, 1_000_000); got != -250 || n.String() != "-2.5" {
		t.Fatalf("negative: %d %s", got, n)
	}
	if Fen(-5).String() != "-0.05" || Fen(123456).String() != "1234.56" {
		t.Fatal("Fen.String")
	}
}

func TestHugeExponentIsRefusedQuickly(t *testing.T) {
	for _, s := range []string{"1e999999999", "1e-99999999", "5E41"} {
		if _, err := ParseYuan(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}
