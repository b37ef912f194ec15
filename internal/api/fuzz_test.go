package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"

	"github.com/kycpoller/kycpoller/internal/api"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// Routes a fuzzed body is sent to: FuzzRequestBody's route argument, modulo
// len(fuzzRoutes).
var fuzzRoutes = []struct {
	name string
	// request builds the request for a fuzzed input.
	request func(body []byte) *http.Request
	// codes are the answers allowed; anything else (a 5xx above all) fails.
	codes []int
}{
	{"enqueue", func(b []byte) *http.Request {
		return bearer(httptest.NewRequest("POST", "/v1/verifications", bytes.NewReader(b)))
	}, []int{202, 400, 413}},
	{"advance callback", func(b []byte) *http.Request {
		return httptest.NewRequest("POST", "/callbacks/advance?token="+callbackToken, bytes.NewReader(b))
	}, []int{200, 400, 413}},
	{"advance callback without token", func(b []byte) *http.Request {
		return httptest.NewRequest("POST", "/callbacks/advance", bytes.NewReader(b))
	}, []int{401}},
	{"enqueue without token", func(b []byte) *http.Request {
		return httptest.NewRequest("POST", "/v1/verifications", bytes.NewReader(b))
	}, []int{401}},
	// The body as a path segment: the id of a status or nudge request.
	{"status", func(b []byte) *http.Request {
		return bearer(httptest.NewRequest("GET", "/v1/verifications/advance/"+url.PathEscape(string(b)), nil))
	}, []int{200, 400, 404}},
	{"nudge", func(b []byte) *http.Request {
		return bearer(httptest.NewRequest("POST", "/v1/verifications/zoloz/"+url.PathEscape(string(b))+"/nudge", nil))
	}, []int{202, 400, 404, 409}},
}

func bearer(r *http.Request) *http.Request {
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Content-Type", "application/json")
	return r
}

// maxFuzzBodyBytes is the largest fuzzed body tried: well past
// api.MaxBodyBytes, so that oversize bodies are fuzzed too.
const maxFuzzBodyBytes = 4 * api.MaxBodyBytes

// maxRequestAlloc bounds what one request may allocate, whatever its body:
// the decoder reads at most api.MaxBodyBytes.
const maxRequestAlloc = 8 << 20

// maxAnswerBytes bounds an answer: an error may repeat a field name or a
// value of the request, never more than the body the server read.
const maxAnswerBytes = api.MaxBodyBytes + 4<<10

// FuzzRequestBody sends arbitrary bodies to the enqueue route and the
// ADVANCE.AI callback (and arbitrary ids to the status and nudge routes),
// over a private Redis. No request may panic or be answered 5xx; every
// answer is one JSON object, an error one names its fields, and no request
// allocates more than maxRequestAlloc, however large its body.
func FuzzRequestBody(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		for route := range fuzzRoutes {
			f.Add(uint8(route), []byte(seed))
		}
	}
	f.Add(uint8(0), []byte(`{"provider":"advance","id":"x","sink":"`+strings.Repeat("a", api.MaxBodyBytes)+`"}`))
	f.Add(uint8(1), bytes.Repeat([]byte("["), api.MaxBodyBytes+1))

	s := newFuzzServer(f)
	var runs int
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		if len(body) > maxFuzzBodyBytes {
			return
		}
		// Enqueued tasks pile up in Redis; start afresh now and then.
		if runs++; runs%500 == 0 {
			s.reset(t)
		}
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := r.request(body)
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s.ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)

		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxRequestAlloc {
			t.Errorf("%s: a %d-byte body allocated %d bytes, want at most %d", r.name, len(body), alloc, maxRequestAlloc)
		}
		if p := req.URL.EscapedPath(); path.Clean(p) != p && (rec.Code == http.StatusMovedPermanently || rec.Code == http.StatusTemporaryRedirect) {
			// An id such as ".." makes a path http.ServeMux cleans first.
			return
		}
		if !slices.Contains(r.codes, rec.Code) {
			t.Fatalf("%s: answered %d %.300s, want one of %v (server log: %v)", r.name, rec.Code, rec.Body.String(), r.codes, s.logs.TakeAll())
		}
		if rec.Body.Len() > maxAnswerBytes {
			t.Errorf("%s: a %d-byte answer to a %d-byte body", r.name, rec.Body.Len(), len(body))
		}
		checkAnswer(t, r.name, rec)
	})
}

// checkAnswer requires one JSON object: an error with its message and named
// fields, or a success of the route's shape.
func checkAnswer(t *testing.T, route string, rec *httptest.ResponseRecorder) {
	t.Helper()
	var v struct {
		Error  *string `json:"error"`
		Fields []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"fields"`
		State  string `json:"state"`
		TaskID string `json:"task_id"`
		Result string `json:"result"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("%s: answer %d is not a JSON object: %v: %.300q", route, rec.Code, err, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", route, ct)
	}
	switch {
	case rec.Code >= 400:
		if v.Error == nil || *v.Error == "" {
			t.Errorf("%s: error %d without a message: %.300s", route, rec.Code, rec.Body.String())
		}
		if rec.Code == 400 && len(v.Fields) == 0 {
			t.Errorf("%s: 400 names no field: %.300s", route, rec.Body.String())
		}
		for _, fe := range v.Fields {
			if fe.Field == "" || fe.Reason == "" {
				t.Errorf("%s: field error without field or reason: %.300s", route, rec.Body.String())
			}
		}
	case route == "enqueue":
		if (v.State != string(tasks.Queued) && v.State != string(tasks.Duplicate)) || !strings.HasPrefix(v.TaskID, "poll:") {
			t.Errorf("enqueue: 202 %.300s", rec.Body.String())
		}
	case route == "advance callback":
		if !slices.Contains([]string{api.CallbackNudged, api.CallbackAlreadyDue, api.CallbackFinal, api.CallbackUnknown, api.CallbackIgnored}, v.Result) {
			t.Errorf("callback: 200 with result %q", v.Result)
		}
	}
}

// fuzzServer serves the API over a private Redis with both providers
// configured, polls delayed by an hour and no worker: tasks stay where the
// API puts them.
type fuzzServer struct {
	http.Handler
	rdb  *redis.Client
	cfg  *config.Config
	logs *observer.ObservedLogs
	log  *zap.Logger
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	srv := redistest.Start(tb)
	yml := `redis: {addr: "` + srv.Addr + `"}
providers:
  advance: {base_url: "http://127.0.0.1:1"}
  zoloz: {base_url: "http://127.0.0.1:1"}
polling: {first_delay: 1h}
sinks:
  default: {type: webhook, url: "http://127.0.0.1:2/kyc", secret: "whsec_` + strings.Repeat("QUFB", 8) + `"}
  other: {type: webhook, url: "http://127.0.0.1:2/other", secret: "whsec_` + strings.Repeat("QkJC", 8) + `"}
default_sink: default
`
	path := filepath.Join(tb.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.LoadForEnqueue(path)
	if err != nil {
		tb.Fatal(err)
	}
	core, logs := observer.New(zap.ErrorLevel)
	s := &fuzzServer{rdb: redistest.Client(tb, srv), cfg: cfg, logs: logs, log: zap.New(core)}
	s.build()
	return s
}

// build makes a fresh server, with fresh asynq clients.
func (s *fuzzServer) build() {
	s.Handler = api.New(api.Options{
		Enqueuer:             tasks.NewEnqueuer(s.rdb, s.cfg),
		Controller:           tasks.NewController(s.rdb, s.cfg),
		Tokens:               []string{token},
		AdvanceCallbackToken: callbackToken,
		Log:                  s.log,
	})
}

// reset empties Redis and rebuilds the server: asynq's client remembers the
// queues it registered in Redis, so it must not outlive a flush.
func (s *fuzzServer) reset(tb testing.TB) {
	if err := s.rdb.FlushDB(context.Background()).Err(); err != nil {
		tb.Fatalf("flush Redis: %v", err)
	}
	s.build()
}

// fuzzSeeds returns the documented request bodies (docs/openapi.yaml's
// examples and the ADVANCE.AI callback of the provider's documentation),
// variations on them and known awkward shapes.
func fuzzSeeds(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("docs/openapi.yaml: %v", err)
	}
	var seeds []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i := 0; i+1 < len(n.Content); i++ {
			if k := n.Content[i]; n.Kind == yaml.MappingNode && i%2 == 0 && k.Value == "example" && n.Content[i+1].Kind == yaml.MappingNode {
				var v any
				if err := n.Content[i+1].Decode(&v); err == nil {
					if b, err := json.Marshal(v); err == nil {
						seeds = append(seeds, string(b))
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if len(seeds) == 0 {
		tb.Fatal("docs/openapi.yaml has no object example to seed from")
	}
	return append(seeds,
		// ADVANCE.AI's callback, as its documentation shows it.
		`{"signatureId":"f302f5d2454a85c2","type":"COMPLETED"}`,
		`{"signatureId":"f302f5d2454a85c2","type":"SUBMIT_COMPLETED"}`,
		`{"signatureId":"f302f5d2454a85c2","type":"STARTED","transactionId":"x"}`,
		`{"provider":"zoloz","id":"G000000005FID20200509000000000001","biz_id":"onboarding-42","sink":"other"}`,
		`{"provider":"advance","id":"f302f5d2454a85c2","biz_id":"b"}`,
		`{"provider":"advance","id":"x","extra":1}`,
		`{"provider":"advance","id":5}`,
		`{"provider":["advance"],"id":{"x":1}}`,
		`{"provider":"advance","id":"x"} {}`,
		`{"provider":"advance","id":"\u0000\ud800"}`,
		`{"provider":"advance","id":"a","id":"b"}`,
		`[{"provider":"advance"}]`,
		`null`,
		`"text"`,
		``,
		`{"a":`+strings.Repeat(`{"a":`, 10000)+`1`+strings.Repeat(`}`, 10001),
	)
}
