// Package web serves yibao over HTTP: the online audit interfaces 3101/3102/3103 and the
// cockpit's JSON API. Handlers call the engines and the store through small interfaces.
package web

import (
	"context"

	"errors"
	"github.com/yibao-dev/yibao/evaluate"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/hisauth"
	"github.com/yibao-dev/yibao/store/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// Store is what the server needs of the store.
type Store interface {
	PutJudgements(ctx context.Context, js []sqlite.Judgement) error
	PutFeedback(ctx context.Context, jrID, hospital, kind, text string) error
	PersonStays(ctx context.Context, person string) ([]sqlite.StayRow, error)
	HospitalLevels(ctx context.Context) (map[string]int, error)
	HISCredential(ctx context.Context, keyID string) (sqlite.HISCredential, error)
	LogHISCall(ctx context.Context, c sqlite.HISCall) (int64, error)
	FinishHISCall(ctx context.Context, id int64, outcome string, patients, results int, elapsed time.Duration) error
}

// ErrNoJudgement is the store's answer for an unknown jr_id.
var ErrNoJudgement = sqlite.ErrNoJudgement

// Server holds the handlers' dependencies.
type Server struct {
	store        Store
	kb           *audit.KB
	pseudonymise func(psnNo string) string // ingest's, so that the store's history matches
	log          *log.Logger
	sealer       *hisauth.Sealer // opens HIS credentials; nil: the online audit refuses every call
	hisRate      *rateLimiter    // per HIS credential
	denyRate     *rateLimiter    // logging of refused calls, per address
	probes       *probeCounter   // encounters of one person audited per credential and day

	mu        sync.Mutex
	levelMap  map[string]int
	levelTime time.Time

	cockpit       *sqlite.Store // nil: the cockpit is not served
	scheme        string
	reports       string // directory of the HTML improvement reports
	scenarios     string // directory of scenario-*.json files
	simulate      func(ctx context.Context, scenarioPath string) (any, error)
	monthlyBudget int64 // fen, for the balance-ratio alert
	calendar      evaluate.Calendar
	limit         *loginLimiter
	cache         *cache
	system        *evaluate.System // names of the indicators
	behindProxy   bool             // trust X-Forwarded-Proto from a loopback proxy
	dummyHash     []byte           // compared against when the user does not exist, so that timing says nothing
	evalMu        sync.Mutex       // one evaluation computes at a time (api_evaluate.go)
}

// Config wires a Server.
type Config struct {
	Store        Store
	KB           *audit.KB                 // nil disables the audit interfaces
	Pseudonymise func(psnNo string) string // required: personal numbers never reach the store in clear
	Log          *log.Logger
	HISSealer    *hisauth.Sealer // opens the HIS credentials that sign 3101/3102/3103 (docs/security.md)

	// The cockpit (all optional).
	Cockpit       *sqlite.Store
	Scheme        string
	Reports       string
	Scenarios     string
	Simulate      func(ctx context.Context, scenarioPath string) (any, error)
	MonthlyBudget int64
	Calendar      evaluate.Calendar
	System        *evaluate.System // indicator names; nil: the shipped system
	// BehindProxy: the cockpit is served by a TLS-terminating reverse proxy on the same
	// machine; X-Forwarded-Proto from a loopback peer decides whether cookies are Secure.
	BehindProxy bool
}

// New builds a server.
func New(c Config) *Server {
	if c.Log == nil {
		c.Log = log.Default()
	}
	if c.System == nil {
		c.System, _ = evaluate.DefaultSystem()
	}
	s := &Server{system: c.System, behindProxy: c.BehindProxy, store: c.Store, kb: c.KB, pseudonymise: c.Pseudonymise, log: c.Log, sealer: c.HISSealer, hisRate: newRateLimiter(10000), denyRate: newRateLimiter(10000), probes: newProbeCounter(),
		cockpit: c.Cockpit, scheme: c.Scheme,
		reports: c.Reports, scenarios: c.Scenarios, simulate: c.Simulate, monthlyBudget: c.MonthlyBudget, calendar: c.Calendar,
		limit: newLoginLimiter(), cache: &cache{m: map[string]any{}}}
	if c.Cockpit != nil {
		s.cache.version = c.Cockpit.Version
		// What Warm computes now belongs to the store as it is now.
		s.cache.seen, _ = c.Cockpit.Version(context.Background())
		s.cache.checked = time.Now()
		s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(randomToken()), bcryptCost)
	}
	return s
}

// Handler routes requests.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/nhsa/3101", s.handleNHSA("3101"))
	mux.HandleFunc("/nhsa/3102", s.handleNHSA("3102"))
	mux.HandleFunc("/nhsa/3103", s.handleNHSA("3103"))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	if s.cockpit != nil {
		mux.HandleFunc("POST /api/login", s.handleLogin)
		for path, h := range map[string]http.HandlerFunc{
			"POST /api/logout":                 s.handleLogout,
			"GET /api/me":                      s.handleMe,
			"GET /api/overview":                s.handleOverview,
			"GET /api/labels":                  s.handleLabels,
			"GET /api/findings/{id}":           s.handleFinding,
			"POST /api/findings/{id}/review":   s.handleReviewFinding,
			"POST /api/findings/review":        s.handleReviewFindings,
			"GET /api/queues":                  s.handleQueues,
			"GET /api/hospitals":               s.handleHospitals,
			"GET /api/hospitals/{code}":        s.handleHospital,
			"GET /api/hospitals/{code}/report": s.handleReport,
			"GET /api/drgs":                    s.handleDRGs,
			"GET /api/drgs/{drg}/cases":        s.handleDRGCases,
			"GET /api/audit/summary":           s.handleAuditSummary,
			"GET /api/audit/findings":          s.handleFindings,
			"GET /api/settlements/{id}":        s.handleSettlement,
			"GET /api/linkage":                 s.handleLinkage,
			"GET /api/appeals":                 s.handleAppeals,
			"POST /api/appeals":                s.handleFileAppeal,
			"POST /api/appeals/{id}/decision":  s.handleDecideAppeal,
			"GET /api/scenarios":               s.handleScenarios,
			"GET /api/simulate":                s.handleSimulate,
			"GET /api/dip":                     s.handleDIP,
			"GET /api/value":                   s.handleValue,
			"GET /api/value/gaps":              s.handleValueGaps,
			"GET /api/value/gaps/table":        s.handleValueGapsTable,
			"GET /api/ledger":                  s.handleLedger,
		} {
			mux.HandleFunc(path, s.authed(h))
		}
		s.registerMonitor(mux) // fund books, forecasts, projections, alerts (api_monitor.go)
		for path, h := range s.userRoutes() {
			mux.HandleFunc(path, s.authed(adminOnly(h)))
		}
		s.evaluateRoutes(mux)
		mux.HandleFunc("GET /api/openapi.json", serveOpenAPI)
		mux.Handle("/", staticHandler())
	}
	return securityHeaders(s.cookiePolicy(recoverer(s.log, mux)))
}

// contentSecurityPolicy: scripts and styles only from the cockpit itself (no inline script
// or style, no eval), no framing, no plugins, no foreign connections. ECharts sets styles
// through the CSSOM (allowed) and draws tooltips as rich text, not HTML.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the browser protections on every response, the API's and the
// interfaces' included.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// recoverer turns a handler panic into a 500 without a trace in the response.
func recoverer(l *log.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				l.Printf("panic serving %s: %v", r.URL.Path, v)
				http.Error(w, `{"infcode":-1,"err_msg":"服务内部错误"}`, http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *Server) pseudonym(psnNo string) string {
	if psnNo == "" {
		return ""
	}
	return s.pseudonymise(psnNo)
}

// levels caches the registry for a minute: the online path must not query it per request.
func (s *Server) levels(ctx context.Context, hospital string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.levelMap == nil || time.Since(s.levelTime) > time.Minute {
		if m, err := s.store.HospitalLevels(ctx); err == nil {
			s.levelMap, s.levelTime = m, time.Now()
		} else if !errors.Is(err, context.Canceled) {
			s.log.Printf("hospital levels: %v", err)
		}
	}
	return s.levelMap[hospital]
}
