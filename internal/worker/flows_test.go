package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/provider/advance"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// A failing receiver is retried on the sink's schedule with the same event
// id, and never causes another provider call.
func TestFailingReceiverRetriedWithoutProviderCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	e.sb.Advance.Register("rx-1", advancefake.Script{Outcome: advancefake.OutcomePass})
	e.sb.Receiver.FailNext(3, 500, "")
	e.startWorker(t, e.cfg)
	e.enqueue(t, "rx-1")
	waitDelivered(t, e, 1, 30*time.Second)

	ds := e.sb.Receiver.Accepted()
	if len(ds) != 1 || ds[0].Attempt != 4 {
		t.Fatalf("accepted %d deliveries (attempt %d), want 1 on attempt 4", len(ds), ds[0].Attempt)
	}
	if n := e.sb.Receiver.Requests(); n != 4 {
		t.Errorf("receiver requests = %d, want 4 (3 failures, 1 success)", n)
	}
	if n := e.sb.Advance.Calls("rx-1"); n != 1 {
		t.Errorf("provider calls = %d, want 1: delivery retries must not poll again", n)
	}
	info, err := e.ins.GetQueueInfo(e.cfg.Worker.Queues.Delivery.Name)
	if err != nil {
		t.Fatal(err)
	}
	if info.FailedTotal != 3 {
		t.Errorf("delivery queue failed total = %d, want 3", info.FailedTotal)
	}
}

// Polls follow the schedule computed from the verification's age, and the
// event's poll count is the number of provider calls.
func TestPollsFollowTheSchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{
		InitialInterval: time.Second, Multiplier: 2, MaxInterval: 4 * time.Second, Jitter: 0,
	}})
	// Un-jittered schedule: polls at 0, 1, 3, 7 s; ready at 6 s, so found at
	// the 4th poll (each delay may run up to ~1 s late: asynq schedules in
	// whole seconds).
	e.sb.Advance.Register("sched-1", advancefake.Script{ReadyAfter: 6 * time.Second, Outcome: advancefake.OutcomePass})
	e.startWorker(t, e.cfg)
	e.enqueue(t, "sched-1")
	waitDelivered(t, e, 1, 30*time.Second)
	calls := e.sb.Advance.Calls("sched-1")
	if calls < 3 || calls > 5 {
		t.Errorf("provider calls = %d, want 3 to 5 for a schedule 0, 1, 3, 7 s and readiness at 6 s", calls)
	}
	ev := e.sb.Receiver.Accepted()[0].Event
	if ev.Data.Polls != calls {
		t.Errorf("event polls = %d, provider saw %d calls", ev.Data.Polls, calls)
	}
	// Not before the provider was ready; the upper bound only catches a
	// schedule gone wrong, not speed (a loaded machine runs late).
	if age := ev.Data.CompletedAt.Sub(ev.Data.EnqueuedAt); age < 6*time.Second || age > 20*time.Second {
		t.Errorf("time to final = %v, want 6 s to 20 s", age)
	}
}

// Transient provider trouble is retried (and counted as failed attempts)
// until the result comes; the final event is still right.
func TestTransientProviderErrorsAreRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{ProviderTimeout: time.Second}})
	faults := []advancefake.Fault{
		{Kind: advancefake.HTTP500}, {Kind: advancefake.CodeError}, {Kind: advancefake.ServiceBusy, RetryAfter: "1s"},
		{Kind: advancefake.Garbage}, {Kind: advancefake.HTML}, {Kind: advancefake.Timeout}, {Kind: advancefake.HTTP429},
	}
	e.sb.Advance.Register("flaky-1", advancefake.Script{Outcome: advancefake.OutcomeFail, Faults: faults})
	e.startWorker(t, e.cfg)
	e.enqueue(t, "flaky-1")
	waitDelivered(t, e, 1, 60*time.Second)
	ev := e.sb.Receiver.Accepted()[0].Event
	if ev.Data.Status != verification.StatusFail || ev.Data.ErrorCode != "LIVENESS_ATTACK" {
		t.Errorf("event status %s error_code %q, want FAIL LIVENESS_ATTACK", ev.Data.Status, ev.Data.ErrorCode)
	}
	if ev.Data.Polls != len(faults)+1 {
		t.Errorf("polls = %d, want %d", ev.Data.Polls, len(faults)+1)
	}
	info, err := e.ins.GetQueueInfo(e.cfg.Worker.Queues.Poll.Name)
	if err != nil {
		t.Fatal(err)
	}
	if info.FailedTotal != len(faults) {
		t.Errorf("poll queue failed total = %d, want %d (one per provider error)", info.FailedTotal, len(faults))
	}
}

// A verification still processing at max_age ends as TIMEOUT, its last poll
// landing on the deadline.
func TestVerificationTimesOutAtMaxAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{MaxAge: 4 * time.Second}})
	e.sb.Advance.Register("slow-1", advancefake.Script{Outcome: advancefake.OutcomePendingForever})
	e.startWorker(t, e.cfg)
	e.enqueue(t, "slow-1")
	waitDelivered(t, e, 1, 30*time.Second)
	ev := e.sb.Receiver.Accepted()[0].Event
	if ev.Data.Status != verification.StatusTimeout || string(ev.Data.Result) != "null" {
		t.Errorf("event status %s result %s, want TIMEOUT and null", ev.Data.Status, ev.Data.Result)
	}
	if age := ev.Data.CompletedAt.Sub(ev.Data.EnqueuedAt); age < 4*time.Second || age > 15*time.Second {
		t.Errorf("timed out after %v, want at max_age 4s (plus scheduling slack)", age)
	}
}

// Bad credentials are a configuration error: never a final result before
// the deadline, however often the poll is retried.
func TestConfigErrorNeverProducesAResultBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{MaxAge: 8 * time.Second}})
	e.cfg.Providers.Advance.SecretKey = "not-the-secret-key"
	e.sb.Advance.Register("cfg-1", advancefake.Script{Outcome: advancefake.OutcomePass})
	e.startWorker(t, e.cfg)
	e.enqueue(t, "cfg-1")
	time.Sleep(5 * time.Second)
	if n := len(e.sb.Receiver.Accepted()); n != 0 {
		t.Fatalf("%d events delivered while the credentials are wrong, want none", n)
	}
	if n := e.sb.Advance.Calls("cfg-1"); n != 0 {
		t.Errorf("get-result called %d times without a token", n)
	}
	info, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, "poll:advance:cfg-1")
	if err != nil {
		t.Fatal(err)
	}
	if !stillRetrying(info) || !strings.Contains(info.LastErr, "configuration error") {
		t.Errorf("task state %v last error %q, want it still being retried with a configuration error the dashboard shows", info.State, info.LastErr)
	}
	waitDelivered(t, e, 1, 30*time.Second)
	if ev := e.sb.Receiver.Accepted()[0].Event; ev.Data.Status != verification.StatusTimeout {
		t.Errorf("after the deadline: status %s, want TIMEOUT", ev.Data.Status)
	}
}

// Personal data from results, the provider's messages, keys, tokens and the
// webhook secret appear in no log line (at debug level), no task payload and
// no error stored in asynq (the dashboard shows both).
func TestNoPersonalDataInLogsOrTaskInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{ProviderTimeout: time.Second}})
	e.sb.Advance.Register("pd-pass", advancefake.Script{ReadyAfter: time.Second, Outcome: advancefake.OutcomePass,
		Faults: []advancefake.Fault{{Kind: advancefake.Garbage}, {Kind: advancefake.HTML}, {Kind: advancefake.CodeError}, {Kind: advancefake.IAMFailed}}})
	e.sb.Advance.Register("pd-fail", advancefake.Script{Outcome: advancefake.OutcomeFail})
	e.sb.Receiver.FailNext(1, 500, "")
	var logs syncBuffer
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logs), zap.DebugLevel)
	cfg := *e.cfg
	cfg.Log = config.Log{Level: "debug", Format: "json"}
	e.startWorkerWithLog(t, &cfg, zap.New(core))
	e.enqueue(t, "pd-pass")
	e.enqueue(t, "pd-fail")
	e.enqueue(t, "pd-unknown")
	waitDelivered(t, e, 3, 60*time.Second)

	var seen strings.Builder
	seen.WriteString(logs.String())
	for _, q := range []string{cfg.Worker.Queues.Poll.Name, cfg.Worker.Queues.Delivery.Name} {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			e.ins.ListCompletedTasks, e.ins.ListRetryTasks, e.ins.ListArchivedTasks, e.ins.ListPendingTasks,
		} {
			tis, _ := list(q)
			for _, ti := range tis {
				seen.Write(ti.Payload)
				seen.WriteString(ti.LastErr)
				seen.Write(ti.Result)
			}
		}
	}
	if !strings.Contains(seen.String(), "verification final") {
		t.Fatal("the scan saw no log lines: it would prove nothing")
	}
	secrets := append(advancefake.PersonalData(),
		string(e.cfg.Providers.Advance.AccessKey), string(e.cfg.Providers.Advance.SecretKey),
		strings.TrimPrefix(string(e.cfg.Sinks["default"].Secret), "whsec_"))
	for _, s := range secrets {
		if strings.Contains(seen.String(), s) {
			t.Errorf("found %q in logs or task info", s)
		}
	}
	// The access token the workers shared through Redis.
	var cached struct {
		Token string `json:"token"`
	}
	raw, err := e.rdb.Get(context.Background(), advance.CacheKey(e.cfg.Providers.Advance.BaseURL, string(e.cfg.Providers.Advance.AccessKey))).Bytes()
	if err != nil || json.Unmarshal(raw, &cached) != nil || cached.Token == "" {
		t.Fatalf("read the shared token from Redis: %v", err)
	}
	if strings.Contains(seen.String(), cached.Token) {
		t.Error("found the access token in logs or task info")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A worker that recorded a final result and died before enqueueing its
// delivery: the poll's re-run delivers the recorded event and does not ask
// the provider again.
func TestRerunAfterCrashDeliversRecordedResultWithoutPolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	e.sb.Advance.Register("crash-1", advancefake.Script{Outcome: advancefake.OutcomePass})
	e.enqueue(t, "crash-1")
	info, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, tasks.PollTaskID("advance", "crash-1"))
	if err != nil {
		t.Fatal(err)
	}
	var p tasks.PollPayload
	if err := json.Unmarshal(info.Payload, &p); err != nil {
		t.Fatal(err)
	}
	// What the dead worker got done: one poll, a FAIL recorded.
	ctx := context.Background()
	st := store.New(e.rdb, store.Options{StateTTL: time.Hour, EventTTL: time.Hour})
	if _, err := st.BeginPoll(ctx, p.Ref(), p.EnqueuedAt(), time.Now()); err != nil {
		t.Fatal(err)
	}
	recorded := event.New(p.Ref(), verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "FAIL"}, 1, p.EnqueuedAt(), time.Now())
	if err := st.RecordFinal(ctx, recorded, "default"); err != nil {
		t.Fatal(err)
	}

	e.startWorker(t, e.cfg)
	waitDelivered(t, e, 1, 30*time.Second)
	d := e.sb.Receiver.Accepted()[0]
	if d.EventID != recorded.ID || d.Event.Data.Status != verification.StatusFail {
		t.Errorf("delivered %s %s, want the recorded %s FAIL", d.EventID, d.Event.Data.Status, recorded.ID)
	}
	if n := e.sb.Advance.Calls("crash-1"); n != 0 {
		t.Errorf("provider called %d times after the result was recorded", n)
	}
}

// stillRetrying reports whether a task is waiting for its next attempt or
// running it (a busy machine can catch it mid-attempt): neither completed
// nor dead-lettered.
func stillRetrying(info *asynq.TaskInfo) bool {
	return info.State == asynq.TaskStateRetry || info.State == asynq.TaskStateActive
}
