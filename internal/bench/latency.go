package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// LatencyResult is one run of the latency scenario: verifications arriving
// open-loop at a fixed rate, final at the provider from their first poll.
type LatencyResult struct {
	Rate  float64
	Count int
	// P50 and P99 run from the provider's final answer to the webhook's
	// arrival at the receiver.
	P50, P99 time.Duration
	// EnqueueP50 and EnqueueP99 run from the enqueue to the arrival.
	EnqueueP50, EnqueueP99 time.Duration
}

// Latency runs the latency scenario once: verifications enqueued at rate per
// second for d, each final at the fake provider from its first poll.
func (r *Runner) Latency(ctx context.Context, rate float64, d time.Duration) (LatencyResult, error) {
	n := int(rate * d.Seconds())
	res := LatencyResult{Rate: rate, Count: n}
	if n < 1 {
		return res, fmt.Errorf("latency: rate %.1f/s for %s is no verification", rate, d)
	}
	env, err := StartEnv(ctx, EnvOptions{TrackIDs: true, Config: OverheadConfig()})
	if err != nil {
		return res, err
	}
	defer env.Close()
	w, err := r.startWorker(ctx, env, "")
	if err != nil {
		return res, err
	}
	defer func() { _ = w.Stop(stopTimeout) }()

	r.logf("latency: %d verifications at %.0f/s (open loop)", n, rate)
	refs := ids("pass-0s-l", n)
	enqueued := make([]time.Time, n)
	enq := tasks.NewEnqueuer(env.RDB, env.Config)
	errc := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i, id := range refs {
		// Open loop: each enqueue starts at its own time, whatever the
		// previous ones are doing.
		if err := sleep(ctx, time.Until(start.Add(time.Duration(float64(i)/rate*float64(time.Second))))); err != nil {
			return res, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			enqueued[i] = time.Now()
			if _, err := enq.Enqueue(ctx, tasks.Request{Ref: verification.Ref{Provider: verification.ProviderAdvance, ID: id}}); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return res, err
	}
	if err := w.waitFor(ctx, time.Minute, fmt.Sprintf("%d deliveries", n), func() (bool, error) {
		return env.Arrivals.Count() >= int64(n), nil
	}); err != nil {
		return res, err
	}
	fromFinal := make([]time.Duration, 0, n)
	fromEnqueue := make([]time.Duration, 0, n)
	for i, id := range refs {
		answered, ok1 := env.Calls.Answered(id)
		arrived, ok2 := env.Arrivals.Arrived(id)
		if !ok1 || !ok2 {
			return res, fmt.Errorf("latency: %s has no answer or arrival time", id)
		}
		fromFinal = append(fromFinal, arrived.Sub(answered))
		fromEnqueue = append(fromEnqueue, arrived.Sub(enqueued[i]))
	}
	res.P50, res.P99 = percentile(fromFinal, 50), percentile(fromFinal, 99)
	res.EnqueueP50, res.EnqueueP99 = percentile(fromEnqueue, 50), percentile(fromEnqueue, 99)
	r.logf("latency: final to webhook p50 %s p99 %s", res.P50.Round(time.Millisecond), res.P99.Round(time.Millisecond))
	return res, w.Stop(stopTimeout)
}

// percentile returns the p-th percentile (nearest rank) of ds; it sorts ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
