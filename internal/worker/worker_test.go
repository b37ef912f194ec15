package worker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
	"github.com/kycpoller/kycpoller/internal/worker"
)

// env is a sandbox with a loaded configuration and an enqueuer.
type env struct {
	sb  *sandbox.Sandbox
	cfg *config.Config
	enq *tasks.Enqueuer
	rdb *redis.Client
	ins *asynq.Inspector
}

func newEnv(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	cfg, err := config.Load(sb.ConfigPath)
	if err != nil {
		t.Fatalf("load sandbox config: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	ins := asynq.NewInspectorFromRedisClient(rdb)
	return &env{sb: sb, cfg: cfg, enq: tasks.NewEnqueuer(rdb, cfg), rdb: rdb, ins: ins}
}

// startWorker runs a worker in-process until the test ends.
func (e *env) startWorker(t *testing.T, cfg *config.Config) {
	t.Helper()
	e.startWorkerWithLog(t, cfg, zaptest.NewLogger(t).Named(cfg.HTTP.Addr))
}

func (e *env) startWorkerWithLog(t *testing.T, cfg *config.Config, log *zap.Logger) {
	t.Helper()
	w, err := worker.New(cfg, log)
	if err != nil {
		t.Fatalf("worker.New: %v", err)
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
}

func (e *env) enqueue(t *testing.T, id string) tasks.Outcome {
	t.Helper()
	out, err := e.enq.Enqueue(context.Background(), tasks.Request{Ref: verification.Ref{Provider: "advance", ID: id}})
	if err != nil {
		t.Fatalf("enqueue %s: %v", id, err)
	}
	return out
}

func waitDelivered(t *testing.T, e *env, n int, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := e.sb.Receiver.WaitAccepted(ctx, n); err != nil {
		t.Fatalf("waiting for %d deliveries: %v (accepted %d distinct events)", n, err, len(e.sb.Receiver.EventIDs()))
	}
}

// The foundation's main guarantee: 200 references finishing at random times
// within 20 s are each delivered once with the right status, with one event
// id per verification, no provider call after the result was known, and no
// not-ready poll counted as failed.
func TestTwoHundredVerificationsDeliveredOnceWithRightStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{Jitter: 0.2}})
	rng := rand.New(rand.NewPCG(7, 11))
	want := map[string]verification.Status{}
	outcomes := []struct {
		o advancefake.Outcome
		s verification.Status
	}{
		{advancefake.OutcomePass, verification.StatusPass},
		{advancefake.OutcomeFail, verification.StatusFail},
		{advancefake.OutcomeIncomplete, verification.StatusIncomplete},
		{advancefake.OutcomeNotFound, verification.StatusNotFound},
	}
	for i := range 200 {
		id := fmt.Sprintf("sig-%03d", i)
		pick := outcomes[rng.IntN(len(outcomes))]
		e.sb.Advance.Register(id, advancefake.Script{
			ReadyAfter: time.Duration(rng.Int64N(int64(20 * time.Second))),
			Outcome:    pick.o,
		})
		want[id] = pick.s
	}
	e.startWorker(t, e.cfg)
	for id := range want {
		if got := e.enqueue(t, id); got != tasks.Queued {
			t.Fatalf("enqueue %s = %s, want queued", id, got)
		}
	}
	waitDelivered(t, e, len(want), 90*time.Second)

	byVerification := e.sb.Receiver.ByVerification()
	for id, status := range want {
		ds := byVerification["advance/"+id]
		if len(ds) == 0 {
			t.Errorf("%s: not delivered", id)
			continue
		}
		ids := map[string]bool{}
		for _, d := range ds {
			ids[d.EventID] = true
			if d.Event.Data.Status != status {
				t.Errorf("%s: delivered status %s, want %s", id, d.Event.Data.Status, status)
			}
		}
		if len(ids) != 1 {
			t.Errorf("%s: %d distinct event ids, want 1", id, len(ids))
		}
		if n := e.sb.Advance.CallsAfterFinal(id); n != 0 {
			t.Errorf("%s: %d provider calls after the result was final", id, n)
		}
	}
	if n := len(e.sb.Receiver.EventIDs()); n != len(want) {
		t.Errorf("distinct event ids = %d, want %d", n, len(want))
	}
	info, err := e.ins.GetQueueInfo(e.cfg.Worker.Queues.Poll.Name)
	if err != nil {
		t.Fatalf("GetQueueInfo: %v", err)
	}
	if info.Failed != 0 || info.FailedTotal != 0 {
		t.Errorf("poll queue failed = %d (total %d), want 0: not-ready polls must not count as failures", info.Failed, info.FailedTotal)
	}
	if info.Processed < len(want) {
		t.Errorf("poll queue processed = %d, want at least %d", info.Processed, len(want))
	}
	t.Logf("provider calls: %d for %d verifications; token requests: %d", e.sb.Advance.TotalCalls(), len(want), e.sb.Advance.TokenRequests())
}

func TestDuplicateEnqueueGivesOneTaskAlsoAfterCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	e.sb.Advance.Register("dup-1", advancefake.Script{ReadyAfter: 500 * time.Millisecond, Outcome: advancefake.OutcomePass})
	if got := e.enqueue(t, "dup-1"); got != tasks.Queued {
		t.Fatalf("first enqueue = %s, want queued", got)
	}
	if got := e.enqueue(t, "dup-1"); got != tasks.Duplicate {
		t.Fatalf("second enqueue = %s, want duplicate", got)
	}
	e.startWorker(t, e.cfg)
	waitDelivered(t, e, 1, 30*time.Second)
	if got := e.enqueue(t, "dup-1"); got != tasks.Duplicate {
		t.Fatalf("enqueue after completion = %s, want duplicate (within retention)", got)
	}
	info, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, tasks.PollTaskID("advance", "dup-1"))
	if err != nil {
		t.Fatalf("GetTaskInfo: %v", err)
	}
	if info.State != asynq.TaskStateCompleted {
		t.Errorf("poll task state = %v, want completed (kept for the retention window)", info.State)
	}
	if n := e.sb.Receiver.Requests(); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}

// Two worker processes (two workers with their own connections and token
// caches) share one ADVANCE.AI token through Redis.
func TestTwoWorkersShareOneToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	const n = 60
	for i := range n {
		e.sb.Advance.Register(fmt.Sprintf("tok-%02d", i), advancefake.Script{ReadyAfter: time.Duration(i%6) * 300 * time.Millisecond, Outcome: advancefake.OutcomePass})
	}
	second := *e.cfg
	addr, err := sandbox.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	second.HTTP.Addr = addr
	e.startWorker(t, e.cfg)
	e.startWorker(t, &second)
	for i := range n {
		e.enqueue(t, fmt.Sprintf("tok-%02d", i))
	}
	waitDelivered(t, e, n, 60*time.Second)
	if got := e.sb.Advance.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1 shared by both workers", got)
	}
}
