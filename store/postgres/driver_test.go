package postgres

import (
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		{`SELECT '?' || ?, "we?rd" FROM t WHERE x = ?`, `SELECT '?' || $1, "we?rd" FROM t WHERE x = $2`},
		{`SELECT 'it''s ?' , ?`, `SELECT 'it''s ?' , $1`},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{`SELECT a - ?`, `SELECT a - $1`},
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCasts(t *testing.T) {
	in := `SELECT CAST(sum(x) AS REAL) / count(*), CAST(y AS integer ), CAST(z AS TEXT)`
	got := castInteger.ReplaceAllString(castReal.ReplaceAllString(in, "AS DOUBLE PRECISION)"), "AS BIGINT)")
	if want := `SELECT CAST(sum(x) AS DOUBLE PRECISION) / count(*), CAST(y AS BIGINT), CAST(z AS TEXT)`; got != want {
		t.Fatalf("got %s", got)
	}
}

// FuzzRebind: never panics, and numbers exactly the placeholders outside quotes and
// comments, in order.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{`SELECT ?`, `'?'`, `"?" ?`, "-- ?\n?", `''''?`, `?-?--?`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := rebind(q)
		if !strings.Contains(q, "?") && out != q {
			t.Fatalf("changed a query without placeholders: %q → %q", q, out)
		}
		if strings.Count(out, "?") > strings.Count(q, "?") {
			t.Fatalf("more ? after: %q → %q", q, out)
		}
		n := strings.Count(q, "?") - strings.Count(out, "?")
		for i := 1; i <= n; i++ {
			if !strings.Contains(out, "$"+itoa(i)) {
				t.Fatalf("%q → %q: no $%d", q, out, i)
			}
		}
	})
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
