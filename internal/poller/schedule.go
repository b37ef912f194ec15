// Package poller decides when a verification is polled next. It knows nothing
// of asynq or of any provider: given a verification's age and what the last
// poll found, it answers "poll again in d" or "give up now". The benchmark's
// calls-per-result simulation drives this same code.
package poller

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Schedule is the polling schedule of one verification. The zero value is not
// usable; build it from configuration and call Validate.
type Schedule struct {
	// FirstDelay postpones the first poll after enqueue.
	FirstDelay time.Duration
	// InitialInterval is the delay after the first not-ready answer; each
	// later delay is Multiplier times the previous one, capped at MaxInterval.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Multiplier      float64
	// Jitter randomises each delay by ±Jitter (0 to 1), so that verifications
	// enqueued together do not poll together.
	Jitter float64
	// MaxAge is how long after enqueue a verification may stay not final.
	MaxAge time.Duration
	// ErrorInitialInterval is the first delay after a provider error; it
	// doubles with each consecutive error, capped at MaxInterval.
	ErrorInitialInterval time.Duration
}

// Validate reports a schedule that would poll in a loop or never.
func (s Schedule) Validate() error {
	var errs []error
	if s.InitialInterval <= 0 {
		errs = append(errs, errors.New("initial interval must be positive"))
	}
	if s.MaxInterval < s.InitialInterval {
		errs = append(errs, errors.New("max interval must be at least the initial interval"))
	}
	if s.Multiplier < 1 {
		errs = append(errs, errors.New("multiplier must be at least 1"))
	}
	if s.Jitter < 0 || s.Jitter > 1 {
		errs = append(errs, errors.New("jitter must be within [0, 1]"))
	}
	if s.MaxAge <= 0 {
		errs = append(errs, errors.New("max age must be positive"))
	}
	if s.ErrorInitialInterval <= 0 {
		errs = append(errs, errors.New("error initial interval must be positive"))
	}
	if s.FirstDelay < 0 {
		errs = append(errs, errors.New("first delay must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("poll schedule: %w", err)
	}
	return nil
}

// minDelay keeps a verification close to its deadline from being polled in a
// tight loop.
const minDelay = 100 * time.Millisecond

// Expired reports whether a verification of this age has run out of time.
func (s Schedule) Expired(age time.Duration) bool { return age >= s.MaxAge }

// NotReadyDelay is the delay before the next poll of a verification that is
// age old and was not final at its last poll.
//
// The delay is a function of the age alone: the un-jittered schedule polls at
// FirstDelay, then InitialInterval later, then InitialInterval*Multiplier
// later and so on, and the delay returned is the interval of the step the age
// falls in. Extra polls (after a restart, or a nudge) therefore never reset
// the schedule to its fast start, and the number of polls a verification costs
// is bounded by its age. The delay never runs past MaxAge, so the last poll
// happens at the deadline.
func (s Schedule) NotReadyDelay(age time.Duration, rng *rand.Rand) time.Duration {
	return s.clampToDeadline(age, s.jitter(s.intervalAt(age), rng))
}

// intervalAt walks the un-jittered schedule to the step that contains age.
func (s Schedule) intervalAt(age time.Duration) time.Duration {
	b := s.backoff()
	elapsed := age - s.FirstDelay
	var at time.Duration
	interval := b.NextBackOff()
	for at+interval <= elapsed && interval < s.MaxInterval {
		at += interval
		interval = b.NextBackOff()
	}
	return interval
}

// ErrorDelay is the delay after the n-th consecutive provider error (n
// starting at 0). A provider's own hint (Retry-After) is honoured as a
// minimum.
func (s Schedule) ErrorDelay(age time.Duration, n int, retryAfter time.Duration, rng *rand.Rand) time.Duration {
	d := s.ErrorInitialInterval
	for i := 0; i < n && d < s.MaxInterval; i++ {
		d *= 2
	}
	d = min(d, s.MaxInterval)
	d = s.jitter(d, rng)
	d = max(d, retryAfter)
	return s.clampToDeadline(age, d)
}

// clampToDeadline keeps the next poll from landing after MaxAge.
func (s Schedule) clampToDeadline(age, d time.Duration) time.Duration {
	if left := s.MaxAge - age; d > left {
		d = left
	}
	return max(d, minDelay)
}

func (s Schedule) backoff() *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(s.InitialInterval),
		backoff.WithMultiplier(s.Multiplier),
		backoff.WithMaxInterval(s.MaxInterval),
		backoff.WithRandomizationFactor(0),
		backoff.WithMaxElapsedTime(0),
	)
}

func (s Schedule) jitter(d time.Duration, rng *rand.Rand) time.Duration {
	return Jitter(d, s.Jitter, rng)
}

// Jitter randomises d by ±factor (0 to 1), drawing from rng, or from the
// global source when rng is nil.
func Jitter(d time.Duration, factor float64, rng *rand.Rand) time.Duration {
	if factor <= 0 || d <= 0 {
		return d
	}
	var r float64
	if rng != nil {
		r = rng.Float64()
	} else {
		r = rand.Float64()
	}
	return time.Duration(float64(d) * (1 + factor*(2*r-1)))
}
