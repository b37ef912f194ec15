// Package schedulesim estimates what a polling schedule costs in provider
// calls and in detection delay. It draws verification completion times from
// a log-normal distribution and plays each verification through the
// project's own schedule code (internal/poller) and a model of how asynq
// dispatches the resulting tasks, optionally with provider callbacks that
// nudge the next poll. The run is deterministic for a given seed.
package schedulesim

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Defaults of Options.
const (
	DefaultN      = 100_000
	DefaultSeed   = 7
	DefaultMedian = time.Minute
	DefaultP99    = 20 * time.Minute
)

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263

// Options describe one simulation run. Zero fields take the defaults.
type Options struct {
	// N is the number of verifications drawn (DefaultN).
	N int
	// Seed makes the run reproducible (DefaultSeed).
	Seed uint64
	// Median and P99 place the log-normal distribution of time-to-final,
	// measured from enqueue (DefaultMedian, DefaultP99).
	Median time.Duration
	P99    time.Duration
	// Dispatch models asynq's task dispatch (DefaultDispatch).
	Dispatch *Dispatch
	// Strategies are compared on the same draws (DefaultStrategies).
	Strategies []Strategy
}

func (o Options) withDefaults() Options {
	o.N = cmp.Or(o.N, DefaultN)
	o.Seed = cmp.Or(o.Seed, DefaultSeed)
	o.Median = cmp.Or(o.Median, DefaultMedian)
	o.P99 = cmp.Or(o.P99, DefaultP99)
	if o.Dispatch == nil {
		d := DefaultDispatch()
		o.Dispatch = &d
	}
	if o.Strategies == nil {
		o.Strategies = DefaultStrategies()
	}
	return o
}

func (o Options) validate() error {
	var errs []error
	if o.N < 0 {
		errs = append(errs, fmt.Errorf("n must not be negative (got %d)", o.N))
	}
	if o.Median <= 0 || o.P99 <= o.Median {
		errs = append(errs, fmt.Errorf("need 0 < median < p99 (got %v, %v)", o.Median, o.P99))
	}
	if err := o.Dispatch.validate(); err != nil {
		errs = append(errs, err)
	}
	for _, s := range o.Strategies {
		if err := s.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("schedule simulation options: %w", err)
	}
	return nil
}

// Sigma is the log-normal shape that puts the 99th percentile at P99.
func (o Options) sigma() float64 {
	return math.Log(float64(o.P99)/float64(o.Median)) / z99
}

// Run draws the completion times once and plays every strategy over them,
// returning one row per strategy in order.
func Run(opts Options) ([]Row, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	ttfs := drawCompletions(opts)
	rows := make([]Row, 0, len(opts.Strategies))
	for i, s := range opts.Strategies {
		// Each strategy has its own stream for jitter, dispatch and
		// callbacks, so adding a strategy does not change the others.
		rng := rand.New(rand.NewPCG(opts.Seed, uint64(i)+1))
		d := *opts.Dispatch
		if s.Dispatch != nil {
			d = *s.Dispatch
		}
		var acc accumulator
		for _, ttf := range ttfs {
			out, err := play(s, d, ttf, rng)
			if err != nil {
				return nil, fmt.Errorf("strategy %q: %w", s.Name, err)
			}
			acc.add(ttf, out)
		}
		rows = append(rows, acc.row(s))
	}
	return rows, nil
}

// drawCompletions draws opts.N times-to-final, log-normally distributed.
func drawCompletions(opts Options) []time.Duration {
	rng := rand.New(rand.NewPCG(opts.Seed, 0))
	mu, sigma := math.Log(float64(opts.Median)), opts.sigma()
	ttfs := make([]time.Duration, opts.N)
	for i := range ttfs {
		ttfs[i] = time.Duration(math.Exp(mu + sigma*rng.NormFloat64()))
	}
	return ttfs
}
