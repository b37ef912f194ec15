package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/api"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

const (
	token         = "api-token-0123456789"
	otherToken    = "api-token-second-0123"
	callbackToken = "callback-token-0123456789"
)

// countingMetrics records callback outcomes.
type countingMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *countingMetrics) CallbackReceived(provider, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n[provider+"/"+outcome]++
}

func (m *countingMetrics) count(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[key]
}

type apiEnv struct {
	url     string
	metrics *countingMetrics
	server  *api.Server
}

// newAPIEnv serves the API over a private Redis. The first poll waits an
// hour and no worker runs, so tasks stay where the API puts them.
func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redistest.Client(t, srv)
	p := sandbox.ConfigParams{
		RedisAddr: srv.Addr, AdvanceURL: "http://127.0.0.1:1", AccessKey: "k", SecretKey: "s",
		WebhookURL: "http://127.0.0.1:2", WebhookSecret: "whsec_" + strings.Repeat("QUFB", 8),
		HTTPAddr: "127.0.0.1:0", FirstDelay: time.Hour,
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadForEnqueue(path)
	if err != nil {
		t.Fatal(err)
	}
	m := &countingMetrics{n: map[string]int{}}
	s := api.New(api.Options{
		Enqueuer:             tasks.NewEnqueuer(rdb, cfg),
		Controller:           tasks.NewController(rdb, cfg),
		Tokens:               []string{token, otherToken},
		AdvanceCallbackToken: callbackToken,
		Metrics:              m,
	})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &apiEnv{url: hs.URL, metrics: m, server: s}
}

type response struct {
	code int
	body map[string]any
	raw  string
	hdr  http.Header
}

func (e *apiEnv) do(t *testing.T, method, path, bearer, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{code: resp.StatusCode, raw: string(raw), hdr: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %q", method, path, raw)
		}
	}
	return r
}

// fields returns the field names of an error answer.
func (r response) fields() []string {
	var out []string
	fs, _ := r.body["fields"].([]any)
	for _, f := range fs {
		if m, ok := f.(map[string]any); ok {
			out = append(out, m["field"].(string))
		}
	}
	return out
}

func TestEveryRouteHappyPathAndDuplicates(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	r := e.do(t, "POST", "/v1/verifications", token, `{"provider":"advance","id":"sig-1"}`)
	if r.code != 202 || r.body["state"] != "queued" || r.body["task_id"] != "poll:advance:sig-1" {
		t.Fatalf("enqueue: %d %s", r.code, r.raw)
	}
	if loc := r.hdr.Get("Location"); loc != "/v1/verifications/advance/sig-1" {
		t.Errorf("Location = %q", loc)
	}
	r = e.do(t, "POST", "/v1/verifications", otherToken, `{"provider":"advance","id":"sig-1","sink":"default"}`)
	if r.code != 202 || r.body["state"] != "duplicate" {
		t.Fatalf("second enqueue: %d %s, want 202 duplicate", r.code, r.raw)
	}
	r = e.do(t, "GET", "/v1/verifications/advance/sig-1", token, "")
	if r.code != 200 || r.body["state"] != "waiting" || r.body["polls"] != 0.0 || r.body["next_poll_at"] == nil {
		t.Fatalf("status: %d %s", r.code, r.raw)
	}
	r = e.do(t, "POST", "/v1/verifications/advance/sig-1/nudge", token, "")
	if r.code != 202 || r.body["result"] != "nudged" {
		t.Fatalf("nudge: %d %s", r.code, r.raw)
	}
	r = e.do(t, "DELETE", "/v1/verifications/advance/sig-1", token, "")
	if r.code != 204 {
		t.Fatalf("cancel: %d %s", r.code, r.raw)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/verifications/advance/sig-1"},
		{"DELETE", "/v1/verifications/advance/sig-1"},
		{"POST", "/v1/verifications/advance/sig-1/nudge"},
	} {
		if r := e.do(t, c.method, c.path, token, ""); r.code != 404 || r.body["error"] == nil {
			t.Errorf("%s %s after cancel: %d %s, want 404", c.method, c.path, r.code, r.raw)
		}
	}
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	for _, c := range []struct{ method, path string }{
		{"POST", "/v1/verifications"},
		{"GET", "/v1/verifications/advance/sig-1"},
		{"DELETE", "/v1/verifications/advance/sig-1"},
		{"POST", "/v1/verifications/advance/sig-1/nudge"},
	} {
		for _, bearer := range []string{"", "wrong-token-0123456789", token + "x", token[:len(token)-1]} {
			r := e.do(t, c.method, c.path, bearer, `{"provider":"advance","id":"sig-1"}`)
			if r.code != 401 || r.body["error"] == nil || r.hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with token %q: %d %s, want 401", c.method, c.path, bearer, r.code, r.raw)
			}
		}
	}
	// Basic credentials are not a bearer token.
	req, _ := http.NewRequest("GET", e.url+"/v1/verifications/advance/sig-1", nil)
	req.SetBasicAuth("user", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("basic auth: %d, want 401", resp.StatusCode)
	}
	// Nothing was enqueued by the refused requests.
	if r := e.do(t, "GET", "/v1/verifications/advance/sig-1", token, ""); r.code != 404 {
		t.Errorf("status after refused requests: %d %s, want 404", r.code, r.raw)
	}
}

func TestBadBodiesNameTheField(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	for _, c := range []struct {
		body   string
		fields []string
	}{
		{`{"provider":"advance"}`, []string{"id"}},
		{`{"id":"x"}`, []string{"provider"}},
		{`{"provider":"nope","id":"has space"}`, []string{"provider", "id"}},
		{`{"provider":"advance","id":"` + strings.Repeat("a", 65) + `"}`, []string{"id"}},
		{`{"provider":"advance","id":"x","biz_id":"b"}`, []string{"biz_id"}},
		{`{"provider":"zoloz","id":"x"}`, []string{"provider", "biz_id"}}, // zoloz is not configured here
		{`{"provider":"advance","id":"x","sink":"elsewhere"}`, []string{"sink"}},
		{`{"provider":"advance","id":"x","extra":1}`, []string{"extra"}},
		{`{"provider":"advance","id":5}`, []string{"id"}},
		{`{"provider":"advance","id":"x"`, []string{"body"}},
		{`{"provider":"advance","id":"x"} {}`, []string{"body"}},
		{`[1,2]`, []string{"body"}},
		{``, []string{"body"}},
	} {
		r := e.do(t, "POST", "/v1/verifications", token, c.body)
		if r.code != 400 || strings.Join(r.fields(), ",") != strings.Join(c.fields, ",") {
			t.Errorf("body %.60q: %d %s, want 400 naming %v", c.body, r.code, r.raw, c.fields)
		}
	}
	for _, path := range []string{"/v1/verifications/nope/x", "/v1/verifications/advance/" + strings.Repeat("a", 65)} {
		if r := e.do(t, "GET", path, token, ""); r.code != 400 || len(r.fields()) != 1 {
			t.Errorf("GET %s: %d %s, want 400 naming one field", path, r.code, r.raw)
		}
	}
}

func TestOversizeBodies(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	big := `{"provider":"advance","id":"x","sink":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
	if r := e.do(t, "POST", "/v1/verifications", token, big); r.code != 413 || r.body["error"] == nil {
		t.Errorf("oversize enqueue: %d %.200s, want 413", r.code, r.raw)
	}
	bigCallback := `{"signatureId":"x","type":"COMPLETED","pad":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
	if r := e.do(t, "POST", "/callbacks/advance?token="+callbackToken, "", bigCallback); r.code != 413 {
		t.Errorf("oversize callback: %d %.200s, want 413", r.code, r.raw)
	}
	// Just under the limit is read (and refused for its content only).
	fits := `{"provider":"advance","id":"x","sink":"` + strings.Repeat("a", api.MaxBodyBytes-100) + `"}`
	if r := e.do(t, "POST", "/v1/verifications", token, fits); r.code != 400 {
		t.Errorf("body under the limit: %d %.200s, want 400 (unknown sink)", r.code, r.raw)
	}
}

func TestAdvanceCallback(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	if r := e.do(t, "POST", "/v1/verifications", token, `{"provider":"advance","id":"sig-cb"}`); r.code != 202 {
		t.Fatalf("enqueue: %d %s", r.code, r.raw)
	}
	for _, tok := range []string{"", "wrong", callbackToken + "x", token} {
		if r := e.do(t, "POST", "/callbacks/advance?token="+tok, "", `{"signatureId":"sig-cb","type":"COMPLETED"}`); r.code != 401 {
			t.Errorf("callback with token %q: %d %s, want 401", tok, r.code, r.raw)
		}
	}
	cb := func(body string) response {
		return e.do(t, "POST", "/callbacks/advance?token="+callbackToken, "", body)
	}
	if r := cb(`{"signatureId":"sig-cb","type":"COMPLETED"}`); r.code != 200 || r.body["result"] != "nudged" {
		t.Errorf("callback: %d %s, want 200 nudged", r.code, r.raw)
	}
	if r := cb(`{"signatureId":"sig-cb","type":"SUBMIT_COMPLETED"}`); r.code != 200 || r.body["result"] != "already_due" {
		t.Errorf("second callback: %d %s, want 200 already_due", r.code, r.raw)
	}
	if r := cb(`{"signatureId":"never-seen","type":"COMPLETED"}`); r.code != 200 || r.body["result"] != "unknown" {
		t.Errorf("unknown id: %d %s, want 200 unknown", r.code, r.raw)
	}
	if r := cb(`{"signatureId":"sig-cb","type":"STARTED","extra":true}`); r.code != 200 || r.body["result"] != "ignored" {
		t.Errorf("other type: %d %s, want 200 ignored", r.code, r.raw)
	}
	if r := cb(`{"type":"COMPLETED"}`); r.code != 400 || strings.Join(r.fields(), ",") != "signatureId" {
		t.Errorf("no signatureId: %d %s, want 400 naming signatureId", r.code, r.raw)
	}
	if r := cb(`not json`); r.code != 400 {
		t.Errorf("bad body: %d %s, want 400", r.code, r.raw)
	}
	for outcome, want := range map[string]int{"nudged": 1, "already_due": 1, "unknown": 1, "ignored": 1, "invalid": 2, "unauthorized": 4} {
		if got := e.metrics.count("advance/" + outcome); got != want {
			t.Errorf("callbacks counted %s = %d, want %d", outcome, got, want)
		}
	}
}

func TestNoTokensNoRoutes(t *testing.T) {
	t.Parallel()
	s := api.New(api.Options{})
	if !s.Empty() || len(s.Patterns()) != 0 {
		t.Errorf("server without tokens serves %v", s.Patterns())
	}
}
