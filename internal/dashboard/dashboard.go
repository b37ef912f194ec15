// Package dashboard serves the asynq web UI (asynqmon) inside the worker's
// HTTP listener: on the worker's own Redis connection, behind optional
// credentials, read-only unless told otherwise, and showing task payloads
// through formatters that keep personal data out of it.
package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"
)

// DefaultRootPath is where the worker mounts the dashboard.
const DefaultRootPath = "/monitoring"

// MaxBodyBytes bounds a request body (the dashboard's writes send lists of
// task ids); reading past it fails.
const MaxBodyBytes = 1 << 20

// Options configures the dashboard handler.
type Options struct {
	// Redis is the worker's shared client, with asynqfix.Hook added (the
	// queue pages fail without it on asynq v0.26.0). The dashboard never
	// closes it.
	Redis redis.UniversalClient
	// RootPath is the URL path the UI lives under, without a trailing
	// slash; DefaultRootPath when empty.
	RootPath string
	// ReadOnly refuses every request that is not GET or HEAD.
	ReadOnly bool
	// Username and Password, when Username is set, are accepted as HTTP
	// Basic credentials.
	Username, Password string
	// BearerToken, when set, is accepted as "Authorization: Bearer TOKEN".
	BearerToken string
}

// New returns the dashboard's handler, to be mounted at RootPath + "/"
// without stripping the prefix (asynqmon routes on the full path).
func New(opts Options) (http.Handler, error) {
	if opts.Redis == nil {
		return nil, errors.New("dashboard: Redis is required")
	}
	root := strings.TrimSuffix(opts.RootPath, "/")
	if root == "" {
		root = DefaultRootPath
	}
	if !strings.HasPrefix(root, "/") {
		return nil, errors.New("dashboard: RootPath must start with a slash")
	}
	// asynqmon's Close would close the shared client; the handler is never
	// closed, the worker closes its client itself.
	ui := asynqmon.New(asynqmon.Options{
		RootPath:         root,
		RedisConnOpt:     sharedClient{opts.Redis},
		PayloadFormatter: asynqmon.PayloadFormatterFunc(FormatPayload),
		ResultFormatter:  asynqmon.ResultFormatterFunc(FormatResult),
		ReadOnly:         opts.ReadOnly,
	})
	var h http.Handler = ui
	if opts.ReadOnly {
		// asynqmon refuses writes on the routes it knows; this refuses
		// them everywhere under the root, whatever the path.
		h = readOnly(h)
	}
	h = securityHeaders(http.MaxBytesHandler(h, MaxBodyBytes))
	if a := newAuth(opts.Username, opts.Password, opts.BearerToken); a != nil {
		h = a.wrap(h)
	}
	return h, nil
}

// sharedClient hands an existing go-redis client to asynqmon, which asks
// for an asynq.RedisConnOpt and takes whatever client MakeRedisClient
// returns: the dashboard then uses the worker's connection pool (and its
// topology, TLS and credentials) instead of opening its own.
type sharedClient struct{ c redis.UniversalClient }

var _ asynq.RedisConnOpt = sharedClient{}

// MakeRedisClient returns the shared client.
func (s sharedClient) MakeRedisClient() any { return s.c }

func readOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the dashboard is read-only (http.dashboard.read_only)", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders keeps the UI out of frames and caches: it shows queue
// contents.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.Contains(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
