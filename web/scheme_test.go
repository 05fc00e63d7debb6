package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Behind a loopback proxy the login limiter sees the client's address from
// X-Forwarded-For; without the flag, or from a non-loopback peer, the header is ignored.
func TestClientAddrBehindProxy(t *testing.T) {
	req := func(remote string, fwd ...string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		for _, f := range fwd {
			r.Header.Add("X-Forwarded-For", f)
		}
		return r
	}
	proxied := &Server{behindProxy: true}
	direct := &Server{}
	for _, c := range []struct {
		s    *Server
		r    *http.Request
		want string
	}{
		{proxied, req("127.0.0.1:5000", "203.0.113.9"), "203.0.113.9"},
		{proxied, req("127.0.0.1:5000", "10.0.0.1, 198.51.100.7"), "198.51.100.7"}, // the proxy appends last
		{proxied, req("192.0.2.1:5000", "203.0.113.9"), "192.0.2.1"},               // not our proxy
		{proxied, req("127.0.0.1:5000", "not-an-ip"), "127.0.0.1"},
		{direct, req("127.0.0.1:5000", "203.0.113.9"), "127.0.0.1"},
	} {
		if got := c.s.clientAddr(c.r); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.r.RemoteAddr, c.r.Header.Values("X-Forwarded-For"), got, c.want)
		}
	}
}
