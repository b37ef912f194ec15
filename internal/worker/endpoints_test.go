package worker_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kycpoller/kycpoller/internal/api"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/worker"
)

// endpoint is one route the worker serves, and the credentials it takes.
type endpoint struct {
	method, path string
	// api is true for the API's routes (served on api.addr when set).
	api bool
	// auth is a valid Authorization header; query carries the callback's
	// token instead. Both empty: a health route, open to anyone.
	auth, query string
}

// Every route the worker serves, with the API, the callback, the dashboard
// (with credentials) and a metrics token configured, answers 401 without
// credentials or with wrong ones, except /healthz and /readyz; with
// credentials it is served. Both listeners have their timeouts and header
// limit set. Run with the API on http.addr and on its own listener.
func TestEveryEndpointNeedsCredentials(t *testing.T) {
	t.Parallel()
	const (
		apiToken  = "ep-api-token-0123456789"
		cbToken   = "ep-callback-token-0123456789"
		dashToken = "ep-dashboard-token-0123456789"
		dashPass  = "ep-dashboard-password-0123456789"
		metrics   = "ep-metrics-token-0123456789"
	)
	endpoints := []endpoint{
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/readyz"},
		{method: "GET", path: "/metrics", auth: "Bearer " + metrics},
		{method: "POST", path: "/v1/verifications", api: true, auth: "Bearer " + apiToken},
		{method: "GET", path: "/v1/verifications/advance/ep-1", api: true, auth: "Bearer " + apiToken},
		{method: "DELETE", path: "/v1/verifications/advance/ep-1", api: true, auth: "Bearer " + apiToken},
		{method: "POST", path: "/v1/verifications/advance/ep-1/nudge", api: true, auth: "Bearer " + apiToken},
		{method: "POST", path: "/callbacks/advance", api: true, query: "token=" + cbToken},
		{method: "GET", path: "/monitoring/", auth: "Bearer " + dashToken},
		{method: "GET", path: "/monitoring/queues/kyc_poll", auth: "Bearer " + dashToken},
		{method: "GET", path: "/monitoring/api/queues", auth: "Bearer " + dashToken},
		{method: "GET", path: "/monitoring/api/queues/kyc_poll/retry_tasks", auth: "Bearer " + dashToken},
		{method: "GET", path: "/monitoring/api/servers", auth: "Bearer " + dashToken},
		{method: "GET", path: "/monitoring/api/redis_info", auth: "Bearer " + dashToken},
		{method: "DELETE", path: "/monitoring/api/queues/kyc_poll", auth: "Bearer " + dashToken},
		{method: "POST", path: "/monitoring/api/queues/kyc_poll:pause", auth: "Bearer " + dashToken},
	}
	for _, ownAPIAddr := range []bool{false, true} {
		e := newEnv(t, sandbox.Options{})
		cfg := e.cfg
		cfg.API.Tokens = []config.Secret{apiToken}
		cfg.Callbacks.Advance.Token = cbToken
		cfg.HTTP.Dashboard.BearerToken = dashToken
		cfg.HTTP.Dashboard.BasicAuth = config.DashboardBasicAuth{Username: "ops", Password: dashPass}
		cfg.HTTP.MetricsToken = metrics
		if ownAPIAddr {
			addr, err := sandbox.FreeAddr()
			if err != nil {
				t.Fatal(err)
			}
			cfg.API.Addr = addr
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}

		// Every API route is in the table.
		routes := api.New(api.Options{Tokens: []string{apiToken}, AdvanceCallbackToken: cbToken}).Patterns()
		for _, r := range routes {
			method, path, _ := strings.Cut(r, " ")
			if !slices.ContainsFunc(endpoints, func(ep endpoint) bool {
				return ep.method == method && pathMatches(path, ep.path)
			}) {
				t.Errorf("API route %q is not in this test's table", r)
			}
		}

		w, err := worker.New(cfg, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		servers := w.HTTPServers()
		if want := map[bool]int{false: 1, true: 2}[ownAPIAddr]; len(servers) != want {
			t.Fatalf("%d HTTP servers, want %d", len(servers), want)
		}
		for i, s := range servers {
			if s.ReadHeaderTimeout != worker.ReadHeaderTimeout || s.ReadTimeout != worker.ReadTimeout ||
				s.WriteTimeout != worker.WriteTimeout || s.IdleTimeout != worker.IdleTimeout || s.MaxHeaderBytes != worker.MaxHeaderBytes {
				t.Errorf("server %d: read header %v, read %v, write %v, idle %v, max header bytes %d: a limit is not set",
					i, s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout, s.MaxHeaderBytes)
			}
			if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
				t.Errorf("server %d has no limit for some phase", i)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker.Run: %v", err)
			}
		})
		base, apiBase := "http://"+cfg.HTTP.Addr, "http://"+cfg.HTTP.Addr
		if ownAPIAddr {
			apiBase = "http://" + cfg.API.Addr
		}
		waitListening(t, base)
		waitListening(t, apiBase)

		for _, ep := range endpoints {
			u := base + ep.path
			if ep.api {
				u = apiBase + ep.path
			}
			open := ep.auth == "" && ep.query == ""
			body := `{"provider":"advance","id":"ep-1"}`
			if ep.path == "/callbacks/advance" {
				body = `{"signatureId":"ep-1","type":"COMPLETED"}`
			}
			// Without credentials, and with wrong ones.
			for _, c := range []struct{ auth, query string }{
				{"", ""},
				{"Bearer wrong-token-0123456789", "token=wrong-token-0123456789"},
				{"Basic b3BzOndyb25n", ""}, // ops:wrong
				{strings.TrimSuffix(ep.auth, "9"), strings.TrimSuffix(ep.query, "9")},
			} {
				code, _ := httpDo(t, ep.method, withQuery(u, c.query), c.auth, body)
				switch {
				case open && code != http.StatusOK:
					t.Errorf("api on own addr %v: %s %s: %d, want 200 (open)", ownAPIAddr, ep.method, ep.path, code)
				case !open && code != http.StatusUnauthorized && code != http.StatusForbidden:
					t.Errorf("api on own addr %v: %s %s with Authorization %q, query %q: %d, want 401", ownAPIAddr, ep.method, ep.path, c.auth, c.query, code)
				}
			}
			if open {
				continue
			}
			// With credentials: served (a read-only dashboard refuses
			// changes with 405).
			code, b := httpDo(t, ep.method, withQuery(u, ep.query), ep.auth, body)
			if code == http.StatusUnauthorized || code == http.StatusForbidden || code >= 500 {
				t.Errorf("api on own addr %v: %s %s with credentials: %d %.200s", ownAPIAddr, ep.method, ep.path, code, b)
			}
		}
		// The dashboard's basic credentials work too.
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+dashPass))
		if code, _ := httpDo(t, "GET", base+"/monitoring/api/queues", basic, ""); code != http.StatusOK {
			t.Errorf("dashboard with basic credentials: %d", code)
		}
		// A sink is named, never given as a URL: a URL is an unknown sink.
		code, b := httpDo(t, "POST", apiBase+"/v1/verifications", "Bearer "+apiToken, `{"provider":"advance","id":"ep-2","sink":"http://127.0.0.1:1/elsewhere"}`)
		if code != http.StatusBadRequest || !strings.Contains(b, `"field":"sink"`) {
			t.Errorf("enqueue to a sink URL: %d %s, want 400 naming sink", code, b)
		}
		// A wrong method or an unknown path under the API's prefixes is
		// answered in JSON.
		if code, b := httpDo(t, "PUT", apiBase+"/v1/verifications", "Bearer "+apiToken, ""); code != http.StatusMethodNotAllowed || !strings.Contains(b, `"error"`) {
			t.Errorf("PUT /v1/verifications: %d %s, want a JSON 405", code, b)
		}
		if code, b := httpDo(t, "GET", apiBase+"/v1/nothing", "Bearer "+apiToken, ""); code != http.StatusNotFound || !strings.Contains(b, `"error"`) {
			t.Errorf("GET /v1/nothing: %d %s, want a JSON 404", code, b)
		}
	}
}

// pathMatches reports whether path fits pattern, whose {name} segments
// match any one segment.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

func withQuery(u, q string) string {
	if q == "" {
		return u
	}
	return u + "?" + q
}

// TLS certificate checks are never turned off in the code, except by the
// one configuration key that says so (redis.tls.insecure_skip_verify,
// warned about at start-up).
func TestTLSVerificationNeverDisabledInCode(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{
		"internal/config/redis.go":       true, // the key itself
		"internal/redisconn/topology.go": true, // applies it, with a warning
	}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "InsecureSkipVerify") && !allowed[filepath.ToSlash(rel)] {
			t.Errorf("%s sets InsecureSkipVerify", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A provider or webhook URL that is plain http to a remote host is
// accepted, and warned about at start-up; loopback ones (local fakes,
// sidecars) are not.
func TestPlainHTTPToRemoteHostsIsWarnedAbout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	cfg := *e.cfg
	adv := *e.cfg.Providers.Advance
	cfg.Providers.Advance = &adv
	cfg.Providers.Advance.BaseURL = "http://advance.example.invalid"
	cfg.Sinks = map[string]config.Sink{"default": e.cfg.Sinks["default"], "remote": e.cfg.Sinks["default"]}
	remote := cfg.Sinks["remote"]
	remote.URL = "http://hooks.example.invalid/kyc?token=secret-query-token"
	cfg.Sinks["remote"] = remote
	core, logs := observer.New(zap.WarnLevel)
	w, err := worker.New(&cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = w.Run(ctx) // closes the worker's connections
	var keys []string
	for _, entry := range logs.FilterMessageSnippet("plain http").All() {
		keys = append(keys, entry.ContextMap()["config_key"].(string))
		if strings.Contains(fmt.Sprint(entry.ContextMap()), "secret-query-token") {
			t.Errorf("the warning shows the URL's query: %v", entry.ContextMap())
		}
	}
	slices.Sort(keys)
	if want := []string{"providers.advance.base_url", "sinks.remote.url"}; !slices.Equal(keys, want) {
		t.Errorf("warned about %v, want %v", keys, want)
	}
}
