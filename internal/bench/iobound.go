package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// IOResult is one run of the I/O-bound scenario: a slow provider, high
// concurrency, verifications that are never final polled every second.
type IOResult struct {
	Verifications int
	Latency       time.Duration
	Concurrency   int
	Window        time.Duration
	// PollRate is polls per second over the window.
	PollRate float64
	// NewConns is how many connections the worker opened to the provider
	// during the window (0 when every connection is reused).
	NewConns int64
}

// IOConfig polls every second (no growth, no jitter) with concurrency
// workers and a provider timeout well above the latency.
func IOConfig(concurrency int) sandbox.ConfigParams {
	return sandbox.ConfigParams{
		InitialInterval: time.Second, MaxInterval: time.Second, Multiplier: 1, Jitter: 0,
		MaxAge: time.Hour, Concurrency: concurrency, ProviderTimeout: 10 * time.Second, LogLevel: "info",
	}
}

// IOBound runs the I/O-bound scenario once: n verifications that are never
// final, polled every second against a provider answering after latency;
// polls are counted over window once every verification has been polled
// once.
func (r *Runner) IOBound(ctx context.Context, n, concurrency int, latency, window time.Duration) (IOResult, error) {
	res := IOResult{Verifications: n, Latency: latency, Concurrency: concurrency, Window: window}
	env, err := StartEnv(ctx, EnvOptions{Latency: latency, Config: IOConfig(concurrency)})
	if err != nil {
		return res, err
	}
	defer env.Close()
	r.logf("io: enqueueing %d verifications that never become final (provider latency %s, concurrency %d)", n, latency, concurrency)
	if err := enqueuePolls(ctx, env, ids("pending-0s-i", n)); err != nil {
		return res, err
	}
	w, err := r.startWorker(ctx, env, "")
	if err != nil {
		return res, err
	}
	defer func() { _ = w.Stop(stopTimeout) }()
	// Warm up: every verification polled once, connections open.
	if err := w.waitFor(ctx, time.Minute+time.Duration(n)*time.Millisecond, fmt.Sprintf("%d first polls", n), func() (bool, error) {
		return env.Calls.Count() >= int64(n), nil
	}); err != nil {
		return res, err
	}
	calls0, conns0, t0 := env.Calls.Count(), env.Calls.Conns(), time.Now()
	if err := sleep(ctx, window); err != nil {
		return res, err
	}
	calls1, conns1, t1 := env.Calls.Count(), env.Calls.Conns(), time.Now()
	select {
	case <-w.Done():
		return res, w.exitedEarly()
	default:
	}
	res.PollRate = float64(calls1-calls0) / t1.Sub(t0).Seconds()
	res.NewConns = conns1 - conns0
	r.logf("io: %.0f polls/s, %d new provider connections in %s", res.PollRate, res.NewConns, window)
	return res, w.Stop(stopTimeout)
}
