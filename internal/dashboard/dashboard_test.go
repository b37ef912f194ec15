package dashboard_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/kycpoller/kycpoller/internal/dashboard"
)

const (
	user     = "ops"
	password = "correct-horse-battery"
	token    = "dashboard-token-0123456789"
)

// serve mounts the dashboard as the worker does and returns its base URL.
func serve(t *testing.T, s *seeded, opts dashboard.Options) string {
	t.Helper()
	opts.Redis = s.rdb
	h, err := dashboard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(dashboard.DefaultRootPath+"/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + dashboard.DefaultRootPath
}

type request struct {
	method, url string
	basic       bool
	bearer      string
}

func do(t *testing.T, r request) (int, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, r.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.basic {
		req.SetBasicAuth(user, password)
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, url string) string {
	t.Helper()
	code, body := do(t, request{method: "GET", url: url, basic: true})
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	return body
}

// tasksOf decodes a task list answer.
func tasksOf(t *testing.T, body string) []map[string]any {
	t.Helper()
	var v struct {
		Tasks []map[string]any `json:"tasks"`
		Stats map[string]any   `json:"stats"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if v.Stats["queue"] == nil {
		t.Errorf("task list without queue stats: %s", body)
	}
	return v.Tasks
}

// The pages the UI fetches answer with real queue data, payloads show only
// references, and nothing personal reaches the browser.
func TestDashboardServesQueuesAndTasks(t *testing.T) {
	t.Parallel()
	s := seed(t)
	s.expireCompleted(t) // the state that broke asynq v0.26.0's queue page
	base := serve(t, s, dashboard.Options{ReadOnly: true, Username: user, Password: password})

	html := get(t, base+"/")
	if !strings.Contains(html, `<div id="root">`) || !strings.Contains(html, dashboard.DefaultRootPath) {
		t.Errorf("index page is not asynqmon's, or lacks the root path:\n%.500s", html)
	}
	script := regexp.MustCompile(`src="(/monitoring/static/js/[^"]+\.js)"`).FindStringSubmatch(html)
	if script == nil {
		t.Fatalf("index page loads no script under the root path:\n%.1000s", html)
	}
	if js := get(t, strings.TrimSuffix(base, dashboard.DefaultRootPath)+script[1]); len(js) < 1000 {
		t.Errorf("script %s is %d bytes", script[1], len(js))
	}
	// A deep link (the SPA's own routes) serves the page too.
	if page := get(t, base+"/queues/kyc_poll?status=retry"); !strings.Contains(page, `<div id="root">`) {
		t.Errorf("deep link does not serve the app")
	}

	var queues struct {
		Queues []struct {
			Queue                                                        string
			Size, Active, Pending, Scheduled, Retry, Archived, Completed int
			MemoryUsage                                                  int64 `json:"memory_usage_bytes"`
		} `json:"queues"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/api/queues")), &queues); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, q := range queues.Queues {
		found[q.Queue] = true
		if q.Queue == pollQueue && (q.Active != 1 || q.Pending != 1 || q.Scheduled != 1 || q.Retry != 1 || q.Archived != 1 || q.MemoryUsage <= 0) {
			t.Errorf("kyc_poll stats: %+v", q)
		}
	}
	if !found[pollQueue] || !found[deliverQueue] {
		t.Errorf("queues listed: %v", found)
	}

	wantPoll := func(state, id string) {
		t.Helper()
		list := tasksOf(t, get(t, base+"/api/queues/"+pollQueue+"/"+state+"_tasks"))
		if len(list) != 1 {
			t.Fatalf("%s tasks: %v", state, list)
		}
		want := `{"provider":"advance","id":"` + id + `","sink":"default","enqueued_at":"2026-11-22T10:14:41.12Z"}`
		if got := list[0]["payload"]; got != want {
			t.Errorf("%s payload:\n got %v\nwant %s", state, got, want)
		}
	}
	wantPoll("retry", "retry-alice")
	wantPoll("archived", "archive-bob")
	wantPoll("scheduled", "scheduled-frank")
	wantPoll("pending", "pending-erin")
	wantPoll("active", "active-dave")
	if retry := tasksOf(t, get(t, base+"/api/queues/"+pollQueue+"/retry_tasks")); retry[0]["error_message"] != "result not final yet" {
		t.Errorf("retry task's last error: %v", retry[0]["error_message"])
	}

	var detail map[string]any
	if err := json.Unmarshal([]byte(get(t, base+"/api/queues/"+pollQueue+"/tasks/"+s.ids["archived"])), &detail); err != nil {
		t.Fatal(err)
	}
	if detail["state"] != "archived" || detail["id"] != "poll:advance:archive-bob" || !strings.Contains(detail["payload"].(string), `"id":"archive-bob"`) {
		t.Errorf("task detail: %v", detail)
	}

	delivery := get(t, base+"/api/queues/"+deliverQueue+"/pending_tasks")
	for _, want := range []string{
		`{\"event_id\":\"evt_0123456789abcdef\",\"sink\":\"default\",\"provider\":\"advance\",\"verification_id\":\"done-carol\"}`,
		`other:type payload, 25 bytes (not shown)`,
	} {
		if !strings.Contains(delivery, want) {
			t.Errorf("delivery queue does not show %s:\n%s", want, delivery)
		}
	}

	// Nothing personal anywhere the UI reads.
	for _, path := range []string{"/api/queues", "/api/queues/kyc_poll/retry_tasks", "/api/queues/kyc_poll/archived_tasks",
		"/api/queues/kyc_poll/scheduled_tasks", "/api/queues/kyc_poll/pending_tasks", "/api/queues/kyc_poll/active_tasks",
		"/api/queues/kyc_poll/completed_tasks", "/api/queues/kyc_delivery/pending_tasks",
		"/api/queues/kyc_poll/tasks/" + s.ids["retry"], "/api/servers"} {
		if body := get(t, base+path); strings.Contains(body, personal) || strings.Contains(body, "full_name") {
			t.Errorf("%s shows personal data: %s", path, body)
		}
	}
}

func TestDashboardAuthAndReadOnly(t *testing.T) {
	t.Parallel()
	s := seed(t)
	ro := serve(t, s, dashboard.Options{ReadOnly: true, Username: user, Password: password, BearerToken: token})
	archived := "/api/queues/" + pollQueue + "/archived_tasks/" + s.ids["archived"]

	for _, tt := range []struct {
		name string
		req  request
		want int
	}{
		{"page without credentials", request{method: "GET", url: ro + "/"}, http.StatusUnauthorized},
		{"api without credentials", request{method: "GET", url: ro + "/api/queues"}, http.StatusUnauthorized},
		{"static file without credentials", request{method: "GET", url: ro + "/favicon.ico"}, http.StatusUnauthorized},
		{"wrong bearer token", request{method: "GET", url: ro + "/api/queues", bearer: token + "x"}, http.StatusUnauthorized},
		{"write without credentials", request{method: "DELETE", url: ro + archived}, http.StatusUnauthorized},
		{"basic auth", request{method: "GET", url: ro + "/api/queues", basic: true}, http.StatusOK},
		{"bearer token", request{method: "GET", url: ro + "/api/queues", bearer: token}, http.StatusOK},
		{"read-only delete", request{method: "DELETE", url: ro + archived, basic: true}, http.StatusMethodNotAllowed},
		{"read-only run all", request{method: "POST", url: ro + "/api/queues/kyc_poll/retry_tasks:run_all", basic: true}, http.StatusMethodNotAllowed},
		{"read-only pause", request{method: "POST", url: ro + "/api/queues/kyc_poll:pause", bearer: token}, http.StatusMethodNotAllowed},
		{"read-only unknown path", request{method: "POST", url: ro + "/api/anything", basic: true}, http.StatusMethodNotAllowed},
	} {
		if code, body := do(t, tt.req); code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.want)
		}
	}
	if code, _ := do(t, request{method: "GET", url: ro + "/"}); code == http.StatusUnauthorized {
		req, _ := http.NewRequest("GET", ro+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("401 without a Basic challenge: %q", resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	if _, err := s.ins.GetTaskInfo(pollQueue, s.ids["archived"]); err != nil {
		t.Errorf("the archived task is gone after refused writes: %v", err)
	}

	// With read_only off, an authenticated write goes through.
	rw := serve(t, s, dashboard.Options{ReadOnly: false, BearerToken: token})
	if code, body := do(t, request{method: "DELETE", url: rw + archived}); code != http.StatusUnauthorized {
		t.Errorf("anonymous delete: %d %s, want 401", code, body)
	}
	if code, body := do(t, request{method: "DELETE", url: rw + archived, bearer: token}); code != http.StatusNoContent && code != http.StatusOK {
		t.Errorf("authenticated delete: %d %s", code, body)
	}
	if _, err := s.ins.GetTaskInfo(pollQueue, s.ids["archived"]); err == nil {
		t.Errorf("the archived task is still there after an authenticated delete")
	}
}

// Without credentials the read-only dashboard is open to reading but still
// refuses writes.
func TestDashboardReadOnlyWithoutAuth(t *testing.T) {
	t.Parallel()
	s := seed(t)
	base := serve(t, s, dashboard.Options{ReadOnly: true})
	if code, body := do(t, request{method: "GET", url: base + "/api/queues"}); code != http.StatusOK {
		t.Errorf("GET: %d %s", code, body)
	}
	if code, body := do(t, request{method: "DELETE", url: base + "/api/queues/kyc_poll/archived_tasks/" + s.ids["archived"]}); code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d %s, want 405", code, body)
	}
}
