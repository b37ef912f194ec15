package worker_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// The worker serves the dashboard on http.addr, with the configured
// credentials, and its queue page works once verifications ran.
func TestWorkerServesDashboard(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{InitialInterval: time.Second, MaxInterval: time.Second}})
	e.sb.Advance.Register("dash-done", advancefake.Script{Outcome: advancefake.OutcomePass})
	e.sb.Advance.Register("dash-waiting", advancefake.Script{Outcome: advancefake.OutcomePendingForever})
	const pw = "dashboard-password-123"
	e.cfg.HTTP.Dashboard.BasicAuth = config.DashboardBasicAuth{Username: "ops", Password: pw}
	if err := e.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t, e.cfg)
	e.enqueue(t, "dash-done")
	e.enqueue(t, "dash-waiting")
	waitDelivered(t, e, 1, 30*time.Second)

	get := func(path string, auth bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+e.cfg.HTTP.Addr+path, nil)
		if auth {
			req.SetBasicAuth("ops", pw)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/monitoring/api/queues", false); code != http.StatusUnauthorized {
		t.Errorf("without credentials: %d, want 401", code)
	}
	if code, _ := get("/healthz", false); code != http.StatusOK {
		t.Errorf("/healthz behind the dashboard's credentials: %d", code)
	}
	code, body := get("/monitoring/api/queues", true)
	if code != http.StatusOK {
		t.Fatalf("/monitoring/api/queues: %d %s", code, body)
	}
	var v struct {
		Queues []struct {
			Queue           string
			Retry, Archived int
			Completed       int
		} `json:"queues"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	var poll, delivery bool
	for _, q := range v.Queues {
		switch q.Queue {
		case e.cfg.Worker.Queues.Poll.Name:
			poll = q.Completed >= 1
		case e.cfg.Worker.Queues.Delivery.Name:
			delivery = q.Completed >= 1
		}
	}
	if !poll || !delivery {
		t.Errorf("queues without the completed verification and delivery: %s", body)
	}
	code, body = get("/monitoring/api/queues/"+e.cfg.Worker.Queues.Poll.Name+"/completed_tasks", true)
	if code != http.StatusOK || !strings.Contains(body, `\"id\":\"dash-done\"`) || !strings.Contains(body, `\"enqueued_at\":\"`) {
		t.Errorf("completed polls: %d %s", code, body)
	}
	if code, _ := get("/monitoring/", true); code != http.StatusOK {
		t.Errorf("/monitoring/: %d", code)
	}
}
