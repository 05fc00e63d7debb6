// Package web serves yibao over HTTP: the online audit interfaces 3101/3102/3103 and the
// cockpit's JSON API. Handlers call the engines and the store through small interfaces.
package web

import (
	"context"
	"errors"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/yibao-dev/yibao/audit"
	"github.com/yibao-dev/yibao/store/sqlite"
)

// Store is what the server needs of the store.
type Store interface {
	PutJudgements(ctx context.Context, js []sqlite.Judgement) error
	PutFeedback(ctx context.Context, jrID, kind, text string) error
	PersonStays(ctx context.Context, person string) ([]sqlite.StayRow, error)
	HospitalLevels(ctx context.Context) (map[string]int, error)
}

// ErrNoJudgement is the store's answer for an unknown jr_id.
var ErrNoJudgement = sqlite.ErrNoJudgement

// Server holds the handlers' dependencies.
type Server struct {
	store        Store
	kb           *audit.KB
	pseudonymise func(psnNo string) string // ingest's, so that the store's history matches
	log          *log.Logger

	mu        sync.Mutex
	levelMap  map[string]int
	levelTime time.Time
}

// Config wires a Server.
type Config struct {
	Store        Store
	KB           *audit.KB                 // nil disables the audit interfaces
	Pseudonymise func(psnNo string) string // required: personal numbers never reach the store in clear
	Log          *log.Logger
}

// New builds a server.
func New(c Config) *Server {
	if c.Log == nil {
		c.Log = log.Default()
	}
	return &Server{store: c.Store, kb: c.KB, pseudonymise: c.Pseudonymise, log: c.Log}
}

// Handler routes requests.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/nhsa/3101", s.handleNHSA("3101"))
	mux.HandleFunc("/nhsa/3102", s.handleNHSA("3102"))
	mux.HandleFunc("/nhsa/3103", s.handleNHSA("3103"))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	return recoverer(s.log, mux)
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
