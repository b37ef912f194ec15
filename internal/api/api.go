// Package api serves kycpoller's HTTP enqueue API and the providers'
// callbacks:
//
//	POST   /v1/verifications                         enqueue a reference
//	GET    /v1/verifications/{provider}/{id}         its status
//	DELETE /v1/verifications/{provider}/{id}         cancel its polling
//	POST   /v1/verifications/{provider}/{id}/nudge   poll it now
//	POST   /callbacks/advance?token=...              ADVANCE.AI's callback
//
// The /v1 routes need one of the configured bearer tokens; the callback
// carries its own token in the query string (ADVANCE.AI does not sign its
// callbacks). Every request body is size-limited; every error is JSON and
// names the offending field where there is one. docs/openapi.yaml describes
// the routes; a test keeps the two in step.
//
// Validation is the enqueue side's (tasks.Enqueuer), so the API, the CLI
// and the Go client accept and reject exactly the same input.
package api

import (
	"cmp"
	"context"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/httpauth"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// MaxBodyBytes bounds every request body; a larger one is answered 413.
const MaxBodyBytes = 64 << 10

// Enqueuer validates and enqueues references.
type Enqueuer interface {
	Enqueue(ctx context.Context, r tasks.Request) (tasks.Outcome, error)
}

// Controller looks verifications up, cancels and nudges them.
type Controller interface {
	Status(ctx context.Context, provider, id string) (tasks.Status, error)
	Cancel(ctx context.Context, provider, id string) error
	Nudge(ctx context.Context, provider, id string) (tasks.Nudged, error)
}

// Metrics counts callbacks. Outcomes are a fixed set (see the Callback*
// constants).
type Metrics interface {
	CallbackReceived(provider, outcome string)
}

type noMetrics struct{}

func (noMetrics) CallbackReceived(string, string) {}

// Options configures a Server.
type Options struct {
	Enqueuer   Enqueuer
	Controller Controller
	// Tokens are the bearer tokens of the /v1 routes; none leaves those
	// routes out.
	Tokens []string
	// AdvanceCallbackToken authenticates ADVANCE.AI's callback; empty
	// leaves the route out.
	AdvanceCallbackToken string
	// Metrics counts callbacks; nil counts nothing.
	Metrics Metrics
	// Log receives server-side failures; nil logs nothing.
	Log *zap.Logger
}

// Server routes the API and callback requests.
type Server struct {
	mux      *http.ServeMux
	patterns []string
	opts     Options
	tokens   []httpauth.Digest
	metrics  Metrics
	log      *zap.Logger
}

// New returns a Server for opts.
func New(opts Options) *Server {
	s := &Server{
		mux:     http.NewServeMux(),
		opts:    opts,
		metrics: cmp.Or[Metrics](opts.Metrics, noMetrics{}),
		log:     opts.Log,
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	for _, t := range opts.Tokens {
		if t != "" {
			s.tokens = append(s.tokens, httpauth.NewDigest(t))
		}
	}
	if len(s.tokens) > 0 {
		s.handle("POST /v1/verifications", s.authorized(s.enqueue))
		s.handle("GET /v1/verifications/{provider}/{id}", s.authorized(s.status))
		s.handle("DELETE /v1/verifications/{provider}/{id}", s.authorized(s.cancel))
		s.handle("POST /v1/verifications/{provider}/{id}/nudge", s.authorized(s.nudge))
	}
	if opts.AdvanceCallbackToken != "" {
		s.handle("POST /callbacks/advance", s.advanceCallback(httpauth.NewDigest(opts.AdvanceCallbackToken)))
	}
	return s
}

func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// ServeHTTP implements http.Handler. A request no route takes is answered
// as http.ServeMux would (404, or 405 with Allow), in JSON like every other
// error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		// The mux, not h: it sets the request's path values.
		s.mux.ServeHTTP(w, r)
		return
	}
	st := &statusOnly{header: w.Header()}
	h.ServeHTTP(st, r)
	code := cmp.Or(st.code, http.StatusNotFound)
	writeError(w, code, strings.ToLower(http.StatusText(code)), nil)
}

// Patterns returns the routes served, as http.ServeMux patterns
// ("METHOD /path/{var}").
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }

// Empty reports whether the server has no route (no token configured).
func (s *Server) Empty() bool { return len(s.patterns) == 0 }

// Mount registers every route of s on mux, and the path prefixes of those
// routes, so that a wrong method or an unknown path under them is answered
// by s, in JSON.
func (s *Server) Mount(mux *http.ServeMux) {
	prefixes := map[string]bool{}
	for _, p := range s.patterns {
		mux.Handle(p, s.mux)
		_, path, _ := strings.Cut(p, " ")
		if prefix, _, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/"); ok {
			prefixes["/"+prefix+"/"] = true
		}
	}
	for p := range prefixes {
		mux.Handle(p, s)
	}
}
