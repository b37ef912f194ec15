package tasks_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// controlEnv is a private Redis, a configuration whose first poll waits an
// hour (so tasks stay scheduled: no worker runs here), an enqueuer and a
// controller.
type controlEnv struct {
	cfg *config.Config
	enq *tasks.Enqueuer
	ctl *tasks.Controller
	st  *store.Store
	ins *asynq.Inspector
}

func newControlEnv(t *testing.T, firstDelay time.Duration) *controlEnv {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redistest.Client(t, srv)
	p := sandbox.ConfigParams{
		RedisAddr: srv.Addr, AdvanceURL: "http://127.0.0.1:1", AccessKey: "k", SecretKey: "s",
		WebhookURL: "http://127.0.0.1:2", WebhookSecret: "whsec_" + strings.Repeat("QUFB", 8),
		HTTPAddr: "127.0.0.1:0", FirstDelay: firstDelay,
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadForEnqueue(path)
	if err != nil {
		t.Fatal(err)
	}
	return &controlEnv{
		cfg: cfg,
		enq: tasks.NewEnqueuer(rdb, cfg),
		ctl: tasks.NewController(rdb, cfg),
		st:  store.New(rdb, tasks.StoreOptions(cfg)),
		ins: asynq.NewInspectorFromRedisClient(rdb),
	}
}

func (e *controlEnv) enqueue(t *testing.T, id string) {
	t.Helper()
	if _, err := e.enq.Enqueue(context.Background(), tasks.Request{Ref: verification.Ref{Provider: "advance", ID: id}}); err != nil {
		t.Fatal(err)
	}
}

func TestStatusNudgeCancel(t *testing.T) {
	t.Parallel()
	e := newControlEnv(t, time.Hour)
	ctx := context.Background()
	e.enqueue(t, "sig-1")

	s, err := e.ctl.Status(ctx, "advance", "sig-1")
	if err != nil {
		t.Fatal(err)
	}
	if s.State != tasks.StateWaiting || s.Polls != 0 || s.EnqueuedAt.IsZero() {
		t.Errorf("status after enqueue = %+v, want waiting, 0 polls", s)
	}
	if d := time.Until(s.NextPollAt); d < 58*time.Minute || d > time.Hour+time.Second {
		t.Errorf("next poll in %v, want about 1h (first_delay)", d)
	}

	got, err := e.ctl.Nudge(ctx, "advance", "sig-1")
	if err != nil || got != tasks.NudgedNow {
		t.Fatalf("Nudge = %q, %v; want nudged", got, err)
	}
	ti, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, tasks.PollTaskID("advance", "sig-1"))
	if err != nil || ti.State != asynq.TaskStatePending {
		t.Fatalf("after nudge: %+v, %v; want the task pending", ti, err)
	}
	if got, err := e.ctl.Nudge(ctx, "advance", "sig-1"); err != nil || got != tasks.NudgedAlreadyDue {
		t.Errorf("second Nudge = %q, %v; want already_due", got, err)
	}

	if err := e.ctl.Cancel(ctx, "advance", "sig-1"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	for name, err := range map[string]error{
		"status": func() error { _, err := e.ctl.Status(ctx, "advance", "sig-1"); return err }(),
		"cancel": e.ctl.Cancel(ctx, "advance", "sig-1"),
		"nudge":  func() error { _, err := e.ctl.Nudge(ctx, "advance", "sig-1"); return err }(),
	} {
		if !errors.Is(err, tasks.ErrNotFound) {
			t.Errorf("%s after cancel: %v, want ErrNotFound", name, err)
		}
	}
	// A cancelled reference can be enqueued again.
	if out, err := e.enq.Enqueue(ctx, tasks.Request{Ref: verification.Ref{Provider: "advance", ID: "sig-1"}}); err != nil || out != tasks.Queued {
		t.Errorf("enqueue after cancel = %s, %v; want queued", out, err)
	}
}

func TestStatusPollingAndFinal(t *testing.T) {
	t.Parallel()
	e := newControlEnv(t, time.Hour)
	ctx := context.Background()
	e.enqueue(t, "sig-2")
	ti, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, tasks.PollTaskID("advance", "sig-2"))
	if err != nil {
		t.Fatal(err)
	}
	var enq time.Time
	if s, err := e.ctl.Status(ctx, "advance", "sig-2"); err == nil {
		enq = s.EnqueuedAt
	}
	ref := verification.Ref{Provider: "advance", ID: "sig-2"}
	if _, err := e.st.BeginPoll(ctx, ref, enq, time.Now()); err != nil {
		t.Fatal(err)
	}
	s, err := e.ctl.Status(ctx, "advance", "sig-2")
	if err != nil || s.State != tasks.StatePolling || s.Polls != 1 || s.LastPollAt.IsZero() {
		t.Fatalf("after one poll: %+v, %v; want polling, 1 poll", s, err)
	}
	ev := event.New(ref, verification.Result{Final: true, Status: verification.StatusFail}, 1, enq, time.Now())
	if err := e.st.RecordFinal(ctx, ev, "default"); err != nil {
		t.Fatal(err)
	}
	s, err = e.ctl.Status(ctx, "advance", "sig-2")
	if err != nil || s.State != tasks.StateFinal || s.FinalStatus != verification.StatusFail || s.EventID != ev.ID || !s.NextPollAt.IsZero() {
		t.Fatalf("after the final result: %+v, %v; want final FAIL with its event id", s, err)
	}
	if err := e.ctl.Cancel(ctx, "advance", "sig-2"); !errors.Is(err, tasks.ErrFinal) {
		t.Errorf("Cancel of a final verification: %v, want ErrFinal", err)
	}
	if _, err := e.ctl.Nudge(ctx, "advance", "sig-2"); !errors.Is(err, tasks.ErrFinal) {
		t.Errorf("Nudge of a final verification: %v, want ErrFinal", err)
	}
	if _, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, ti.ID); err != nil {
		t.Errorf("the poll task was touched: %v", err)
	}
}

func TestStatusRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := newControlEnv(t, 0)
	_, err := e.ctl.Status(context.Background(), "nope", "has space")
	var fe *verification.FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "provider") || !strings.Contains(err.Error(), "id") {
		t.Errorf("Status(bad) = %v, want field errors naming provider and id", err)
	}
	if _, err := e.ctl.Status(context.Background(), "advance", "never-enqueued"); !errors.Is(err, tasks.ErrNotFound) {
		t.Errorf("Status(unknown) = %v, want ErrNotFound", err)
	}
}
