package worker_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// callLog records when the fake provider received each Get Result call.
type callLog struct {
	mu    sync.Mutex
	times []time.Time
}

func (c *callLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == advancefake.GetResultPath {
			c.mu.Lock()
			c.times = append(c.times, time.Now())
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// maxInWindow is the largest number of calls in any window of length w.
func (c *callLog) maxInWindow(w time.Duration) int {
	c.mu.Lock()
	ts := slices.Clone(c.times)
	c.mu.Unlock()
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// newAdvanceFake serves a fake ADVANCE.AI with the sandbox's keys through
// the call log, and points cfg at it.
func newAdvanceFake(t *testing.T, e *env, log *callLog) *advancefake.Server {
	t.Helper()
	fake := advancefake.New(advancefake.Options{AccessKey: e.sb.Params.AccessKey, SecretKey: e.sb.Params.SecretKey})
	srv := httptest.NewServer(log.wrap(fake.Handler()))
	t.Cleanup(srv.Close)
	e.cfg.Providers.Advance.BaseURL = srv.URL
	return fake
}

// Two worker processes share one provider rate limit: 400 verifications that
// are final at once reach the provider at no more than 20 calls (plus the
// burst) in any one-second window, and all 400 are delivered.
func TestSharedRateLimitAcrossTwoWorkers(t *testing.T) {
	t.Parallel()
	rl := config.RateLimit{RPS: 20, Burst: 5}
	got := runSharedRateLimit(t, rl, 400)
	if got < int(rl.RPS)/2 {
		t.Errorf("at most %d calls in one second: the limit is not being used", got)
	}
}

// With reschedule_only the limit holds the same way; no poll waits in its
// slot, so the rate reached is lower (logged, not asserted).
func TestSharedRateLimitRescheduleOnly(t *testing.T) {
	t.Parallel()
	runSharedRateLimit(t, config.RateLimit{RPS: 20, Burst: 5, RescheduleOnly: true}, 150)
}

// runSharedRateLimit runs n verifications that are final at once through two
// workers sharing rl, checks that the provider never saw more than rl
// allows in a second, one call per verification and no failed poll, and
// returns the most calls seen in one second.
func runSharedRateLimit(t *testing.T, rl config.RateLimit, n int) int {
	t.Helper()
	e := newEnv(t, sandbox.Options{})
	log := &callLog{}
	fake := newAdvanceFake(t, e, log)
	e.cfg.Providers.Advance.RateLimit = rl

	for i := range n {
		fake.Register(fmt.Sprintf("rl-%03d", i), advancefake.Script{Outcome: advancefake.OutcomePass})
	}
	second := *e.cfg
	addr, err := sandbox.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	second.HTTP.Addr = addr
	e.startWorker(t, e.cfg)
	e.startWorker(t, &second)
	start := time.Now()
	for i := range n {
		e.enqueue(t, fmt.Sprintf("rl-%03d", i))
	}
	waitDelivered(t, e, n, 120*time.Second)
	took := time.Since(start)

	// The limiter admits at most rps*T + burst calls in any window T of
	// Redis time; the fake stamps calls on arrival, which lags admission by
	// a few milliseconds of scheduling on a busy machine. One call of slack
	// covers that jitter, not a looser limit.
	limit := int(rl.RPS) + rl.Burst + 1
	got := log.maxInWindow(time.Second)
	t.Logf("reschedule_only=%v: %d verifications delivered in %v (%.1f/s); %d provider calls, at most %d in one second (rps %v + burst %d, +1 arrival jitter)",
		rl.RescheduleOnly, n, took, float64(n)/took.Seconds(), fake.TotalCalls(), got, rl.RPS, rl.Burst)
	if got > limit {
		t.Errorf("the provider saw %d calls in one second, want at most %d", got, limit)
	}
	if calls := fake.TotalCalls(); calls != n {
		t.Errorf("provider calls = %d, want %d (one per verification: a put-off poll calls nobody)", calls, n)
	}
	info, err := e.ins.GetQueueInfo(e.cfg.Worker.Queues.Poll.Name)
	if err != nil {
		t.Fatal(err)
	}
	if info.FailedTotal != 0 {
		t.Errorf("poll queue failed total = %d, want 0: a put-off poll is not a failure", info.FailedTotal)
	}
	return got
}

// A throttling answer to one poll pauses every poll of that provider, in
// every worker, for the provider's Retry-After.
func TestThrottlingPausesTheFleet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	log := &callLog{}
	fake := newAdvanceFake(t, e, log)
	fake.Register("busy", advancefake.Script{Outcome: advancefake.OutcomePass, Faults: []advancefake.Fault{{Kind: advancefake.HTTP429, RetryAfter: "3"}}})
	for i := range 10 {
		fake.Register(fmt.Sprintf("calm-%d", i), advancefake.Script{Outcome: advancefake.OutcomePass})
	}
	e.startWorker(t, e.cfg)
	e.enqueue(t, "busy")
	// Wait until the throttled poll has been handled (its task waits to be
	// retried), so that the pause is in place.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ti, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, tasks.PollTaskID("advance", "busy"))
		if err == nil && ti.State == asynq.TaskStateRetry {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the throttled poll was not handled: %+v, %v", ti, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.mu.Lock()
	throttledAt := log.times[0]
	log.mu.Unlock()
	for i := range 10 {
		e.enqueue(t, fmt.Sprintf("calm-%d", i))
	}
	waitDelivered(t, e, 11, 30*time.Second)
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, at := range log.times[1:] {
		if at.Sub(throttledAt) < 2500*time.Millisecond {
			t.Errorf("a call %v after the throttling answer, want none within its Retry-After (3s)", at.Sub(throttledAt))
		}
	}
}
