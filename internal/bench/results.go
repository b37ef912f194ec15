package bench

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Results are every run of every scenario of one benchmark.
type Results struct {
	Mode     Mode
	Overhead []OverheadResult
	Waiting  []WaitingResult
	IO       []IOResult
	Latency  []LatencyResult
	// LatencyRate is the arrival rate of the latency scenario and how it
	// was chosen.
	LatencyRate       float64
	LatencyRateSource string
}

// RunAll runs the scenarios named in which (all when empty) mode.Runs
// times each. The latency scenario runs at half the median verification
// rate of the overhead runs, or at fallbackRate when overhead did not run.
// A run that fails stops everything: figures from a broken run are worse
// than none.
func (r *Runner) RunAll(ctx context.Context, mode Mode, which map[string]bool, fallbackRate float64) (*Results, error) {
	res := &Results{Mode: mode}
	on := func(s string) bool { return len(which) == 0 || which[s] }
	for i := range mode.Runs {
		r.logf("run %d of %d", i+1, mode.Runs)
		if on(ScenarioOverhead) {
			profile := ""
			if i == 0 {
				profile = r.CPUProfile
			}
			o, err := r.Overhead(ctx, mode.OverheadN, mode.AccountN, profile)
			if err != nil {
				return res, fmt.Errorf("overhead scenario: %w", err)
			}
			res.Overhead = append(res.Overhead, o)
		}
		if on(ScenarioWaiting) {
			w, err := r.Waiting(ctx, mode.WaitingN, mode.AccountN)
			if err != nil {
				return res, fmt.Errorf("waiting scenario: %w", err)
			}
			res.Waiting = append(res.Waiting, w)
		}
		if on(ScenarioIO) {
			o, err := r.IOBound(ctx, mode.IOVerifications, mode.IOConcurrency, mode.IOLatency, mode.IOWindow)
			if err != nil {
				return res, fmt.Errorf("io scenario: %w", err)
			}
			res.IO = append(res.IO, o)
		}
	}
	if on(ScenarioLatency) {
		res.LatencyRate, res.LatencyRateSource = fallbackRate, "set with -latency-rate"
		if len(res.Overhead) > 0 {
			res.LatencyRate = 0.5 * median(res.Overhead, func(o OverheadResult) float64 { return o.VerificationRate })
			res.LatencyRateSource = "50% of the overhead scenario's median verification rate"
		}
		for i := range mode.Runs {
			r.logf("latency run %d of %d", i+1, mode.Runs)
			l, err := r.Latency(ctx, res.LatencyRate, mode.LatencyDuration)
			if err != nil {
				return res, fmt.Errorf("latency scenario: %w", err)
			}
			res.Latency = append(res.Latency, l)
		}
	}
	return res, nil
}

// median returns the median of f over xs (the mean of the middle two for
// an even count), 0 for none.
func median[T any](xs []T, f func(T) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func medianDuration[T any](xs []T, f func(T) time.Duration) time.Duration {
	return time.Duration(median(xs, func(x T) float64 { return float64(f(x)) }))
}
