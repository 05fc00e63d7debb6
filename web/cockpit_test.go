package web

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestYuanText(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 800: "8.00", 5: "0.05", -1234567: "-12,345.67", 23034496456: "230,344,964.56", 100000: "1,000.00"} {
		if got := yuanText(fen); got != want {
			t.Errorf("yuanText(%d) = %s, want %s", fen, got, want)
		}
	}
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{`=HYPERLINK("http://x","y")`: `'=HYPERLINK("http://x","y")`, "+1": "'+1", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "限年龄": "限年龄", "": ""} {
		if got := neutralise(in); got != want {
			t.Errorf("neutralise(%q) = %q, want %q", in, got, want)
		}
	}
	// Numbers are written as numbers, never prefixed; text cells of numeric-looking ids are.
	if v, _, ok := exportValue(column{Key: "a", Kind: "money"}, row{"a": int64(-800)}, "-8.00"); !ok || v != "-8.00" {
		t.Errorf("money export %q", v)
	}
	if v, _, _ := exportValue(column{Key: "a", Kind: "text"}, row{"a": "=1+1"}, "=1+1"); v != "'=1+1" {
		t.Errorf("text export %q", v)
	}
}

func TestGridFilterSortPage(t *testing.T) {
	g := &grid{Columns: []column{{"category", "类别", "Category", "label", ""}, {"amount_fen", "金额", "Amount", "money", ""}}}
	for i, c := range []string{"age_restriction", "duplicate_charge", "age_restriction"} {
		r := row{"category": c, "amount_fen": int64(100 * (3 - i))}
		setLabel(r, "category", map[string][2]string{"age_restriction": {"限年龄", "age restriction"}, "duplicate_charge": {"重复计费", "duplicate charge"}})
		g.Rows = append(g.Rows, r)
	}
	rows, cells := g.apply(gridQuery{q: "限年龄", sortCol: 1, lang: "zh"})
	if len(rows) != 2 || cells[0][1] != "1.00" || cells[1][1] != "3.00" {
		t.Fatalf("filter by label and sort by amount: %v", cells)
	}
	if rows, _ := g.apply(gridQuery{q: "duplicate_charge", sortCol: -1, lang: "zh"}); len(rows) != 1 {
		t.Errorf("filter by raw id: %d rows", len(rows))
	}
	if _, cells := g.apply(gridQuery{sortCol: 0, desc: true, lang: "en"}); cells[0][0] != "duplicate charge" {
		t.Errorf("English labels sorted: %v", cells)
	}
}

func TestEvidenceEnglish(t *testing.T) {
	for zh, want := range map[string]string{
		"小儿氨酚黄那敏颗粒 限 12 及以下 岁使用，患者 68 岁": "小儿氨酚黄那敏颗粒 is restricted to age 12 and under; the patient is 68",
		"前列腺特异性抗原 限男性使用，患者为女性":           "前列腺特异性抗原 is restricted to male patients; the patient is female",
		"住院 40 天，超过 30 天上限":              "stay of 40 days, over the limit of 30 days",
		"某句没有模式":                         "(Chinese) 某句没有模式",
	} {
		if got := evidenceEn(zh); got != want {
			t.Errorf("evidenceEn(%q) = %q, want %q", zh, got, want)
		}
	}
}

// Every response carries the browser protections, and the Secure attribute of cookies
// follows the scheme: TLS, or X-Forwarded-Proto from a loopback proxy when configured.
func TestSecurityHeadersAndCookiePolicy(t *testing.T) {
	setter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "v", Secure: true, HttpOnly: true})
		w.Write([]byte("ok"))
	})
	for _, c := range []struct {
		name        string
		behindProxy bool
		remote, xfp string
		tls         bool
		secure      bool
	}{
		{"plain HTTP", false, "192.0.2.1:5000", "", false, false},
		{"TLS", false, "192.0.2.1:5000", "", true, true},
		{"header without proxy mode", false, "127.0.0.1:5000", "https", false, false},
		{"loopback proxy", true, "127.0.0.1:5000", "https", false, true},
		{"proxy speaking http", true, "127.0.0.1:5000", "http", false, false},
		{"forged header from afar", true, "192.0.2.1:5000", "https", false, false},
	} {
		s := &Server{behindProxy: c.behindProxy}
		h := securityHeaders(s.cookiePolicy(setter))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xfp != "" {
			r.Header.Set("X-Forwarded-Proto", c.xfp)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		ck := w.Header().Get("Set-Cookie")
		if got := strings.Contains(ck, "Secure"); got != c.secure || !strings.Contains(ck, "HttpOnly") {
			t.Errorf("%s: Set-Cookie %q, want Secure=%v", c.name, ck, c.secure)
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if w.Header().Get(k) != want {
				t.Errorf("%s: %s = %q", c.name, k, w.Header().Get(k))
			}
		}
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", csp)
		}
	}
}
