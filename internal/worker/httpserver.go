package worker

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/httpauth"
)

// Limits of every HTTP server the worker runs (http.addr and api.addr). No
// answer takes long: the longest are dashboard task lists and /metrics,
// both read from Redis in well under WriteTimeout.
const (
	// ReadHeaderTimeout bounds a request's headers: a client that trickles
	// them holds a connection for no longer.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds a whole request, body included (bodies are at most
	// api.MaxBodyBytes, or dashboard.MaxBodyBytes).
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds the writing of an answer.
	WriteTimeout = 30 * time.Second
	// IdleTimeout closes kept-alive connections that carry no request.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes = 64 << 10
)

// newHTTPServer returns a server for h with the limits above, logging its
// own errors (bad handshakes, handler panics) through log.
func newHTTPServer(h http.Handler, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
}

// requireBearer answers 401 to a request without "Authorization: Bearer
// TOKEN" (compared in constant time). An empty token requires nothing.
func requireBearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := httpauth.NewDigest(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got, ok := httpauth.BearerToken(r); !ok || !want.Equal(got) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kycpoller"`)
			http.Error(w, "missing or invalid bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
