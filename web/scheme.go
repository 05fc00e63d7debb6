package web

import (
	"net"
	"net/http"
	"strings"
)

// The session cookie is Secure exactly when the browser speaks HTTPS to us: served with
// TLS (yibao serve --tls-cert/--tls-key), or behind a TLS-terminating reverse proxy on the
// same machine that says so in X-Forwarded-Proto (--behind-proxy; the header is trusted
// only from a loopback peer, so a client cannot forge it). Over plain HTTP the cookie is
// not Secure — otherwise the browser drops it and login bounces back on any address but
// localhost — and `yibao serve` warns when such an address is not loopback.

// secureRequest reports whether the request reached the browser over HTTPS.
func (s *Server) secureRequest(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !s.behindProxy {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback() && strings.EqualFold(strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-Proto"), ",")[0]), "https")
}

// cookiePolicy makes every cookie's Secure attribute follow the scheme, whichever handler
// sets it.
func (s *Server) cookiePolicy(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&cookieWriter{ResponseWriter: w, secure: s.secureRequest(r)}, r)
	})
}

type cookieWriter struct {
	http.ResponseWriter
	secure, done bool
}

func (c *cookieWriter) fix() {
	if c.done {
		return
	}
	c.done = true
	h := c.ResponseWriter.Header()
	cs := h.Values("Set-Cookie")
	if len(cs) == 0 {
		return
	}
	h.Del("Set-Cookie")
	for _, v := range cs {
		parts := strings.Split(v, "; ")
		out := parts[:1]
		for _, p := range parts[1:] {
			if !strings.EqualFold(p, "Secure") {
				out = append(out, p)
			}
		}
		if c.secure {
			out = append(out, "Secure")
		}
		h.Add("Set-Cookie", strings.Join(out, "; "))
	}
}

func (c *cookieWriter) WriteHeader(code int) {
	c.fix()
	c.ResponseWriter.WriteHeader(code)
}

func (c *cookieWriter) Write(b []byte) (int, error) {
	c.fix()
	return c.ResponseWriter.Write(b)
}

func (c *cookieWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// clientAddr is the address a request came from: behind a trusted proxy (loopback, with
// BehindProxy) the last address the proxy appended to X-Forwarded-For, else the peer. The
// login limiter and the HIS call log use it, so that a proxy does not make every user one
// address.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.behindProxy {
		return host
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return host
	}
	fwd := r.Header.Values("X-Forwarded-For")
	if len(fwd) == 0 {
		return host
	}
	parts := strings.Split(fwd[len(fwd)-1], ",")
	if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
		return ip.String()
	}
	return host
}
