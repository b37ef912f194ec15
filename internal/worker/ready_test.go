package worker_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap/zaptest"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/localredis"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/worker"
)

// get returns the status and body of GET url ("" and 0 when unreachable).
func get(url string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitStatus polls url until it answers want, and returns the body.
func waitStatus(t *testing.T, url string, want int, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, body := get(url)
		if code == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s = %d %q after %v, want %d", url, code, body, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// /readyz follows Redis (503 while it is down, 200 again once it is back)
// while /healthz stays 200; and /readyz turns 503 as soon as shutdown
// starts, while a poll is still in flight and the listener still answers.
func TestReadyz(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Advance: advancefake.Options{Latency: 2 * time.Second}})
	base := "http://" + e.cfg.HTTP.Addr
	w, err := worker.New(e.cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	waitStatus(t, base+"/readyz", http.StatusOK, 10*time.Second)

	e.sb.Redis.Kill()
	if body := waitStatus(t, base+"/readyz", http.StatusServiceUnavailable, 5*time.Second); !strings.Contains(body, "redis unreachable") {
		t.Errorf("/readyz with Redis down: %q, want it to say redis unreachable", body)
	}
	if code, _ := get(base + "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with Redis down = %d, want 200: the process is alive", code)
	}
	if err := e.sb.Redis.Restart(context.Background(), localredis.Options{}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, base+"/readyz", http.StatusOK, 10*time.Second)

	// A poll in flight (the provider takes 2s) holds the shutdown open.
	e.sb.Advance.Register("ready-1", advancefake.Script{Outcome: advancefake.OutcomePass})
	e.enqueue(t, "ready-1")
	deadline := time.Now().Add(10 * time.Second)
	for {
		active, err := e.ins.ListActiveTasks(e.cfg.Worker.Queues.Poll.Name)
		if err == nil && len(active) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the poll never became active")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if body := waitStatus(t, base+"/readyz", http.StatusServiceUnavailable, time.Second); !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz during shutdown: %q, want it to say shutting down", body)
	}
	select {
	case <-done:
		t.Fatal("Run returned before the in-flight poll finished: /readyz was not observed during shutdown")
	default:
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	// The poll in flight finished within the shutdown: it completed.
	info, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, tasks.PollTaskID("advance", "ready-1"))
	if err != nil || info.State != asynq.TaskStateCompleted {
		t.Errorf("in-flight poll after shutdown: %+v, %v; want completed", info, err)
	}
}
