package tasks

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/poller"
)

// errNotReady is the error a poll returns while the provider is still
// processing. It is not a failure: see IsFailure.
var errNotReady = errors.New("result not final yet")

// rescheduleError asks asynq to run a task again after a delay the handler
// computed. failure says whether the attempt counts as failed (and against
// the task's retry limit).
type rescheduleError struct {
	after   time.Duration
	failure bool
	err     error
}

func (e *rescheduleError) Error() string { return e.err.Error() }
func (e *rescheduleError) Unwrap() error { return e.err }

func notReady(after time.Duration) error {
	return &rescheduleError{after: after, failure: false, err: errNotReady}
}

func retryAfter(after time.Duration, err error) error {
	return &rescheduleError{after: after, failure: true, err: err}
}

// maxRetryDelay bounds any delay, whatever asked for it.
const maxRetryDelay = 24 * time.Hour

// RetryPolicy is the asynq RetryDelayFunc of kycpoller's tasks.
//
// Handlers compute their own delay and say so with a rescheduleError. Every
// other failure (a lost lease after a crash, the task deadline, a Redis
// error) gets the delay its task type would use for a provider or sink
// error: never asynq's default, whose n⁴ growth could outlive the
// verification's deadline and state.
type RetryPolicy struct {
	schedule poller.Schedule
	sinks    map[string][]time.Duration
	now      func() time.Time
}

// NewRetryPolicy returns the policy for cfg.
func NewRetryPolicy(cfg *config.Config) *RetryPolicy {
	sinks := make(map[string][]time.Duration, len(cfg.Sinks))
	for name, s := range cfg.Sinks {
		sinks[name] = s.RetrySchedule
	}
	return &RetryPolicy{schedule: ScheduleFromConfig(cfg.Polling), sinks: sinks, now: time.Now}
}

// Delay implements asynq.RetryDelayFunc.
//
// asynq stores the time of a retry in whole Unix seconds, truncating, so a
// delay of 1.5 s could run the task after only 1 s. The delay is rounded up
// so that the task never runs earlier than asked (a provider's Retry-After,
// a rate limit); it may run up to a second, plus
// worker.delayed_task_check_interval, later.
func (p *RetryPolicy) Delay(n int, err error, t *asynq.Task) time.Duration {
	now := p.now()
	var d time.Duration
	var re *rescheduleError
	switch {
	case errors.As(err, &re):
		d = re.after
	case t != nil && t.Type() == TypePoll:
		var pl PollPayload
		age := time.Duration(0)
		if json.Unmarshal(t.Payload(), &pl) == nil {
			age = now.Sub(pl.EnqueuedAt())
		}
		d = p.schedule.ErrorDelay(age, n, 0, nil)
	case t != nil && t.Type() == TypeDeliver:
		var pl DeliverPayload
		_ = json.Unmarshal(t.Payload(), &pl)
		d = scheduleDelay(p.sinks[pl.Sink], n, deliveryJitter)
	default:
		d = time.Minute
	}
	d = min(max(d, 0), maxRetryDelay)
	return roundUpToSecond(now, d)
}

// roundUpToSecond extends d so that now+d falls on a whole second.
func roundUpToSecond(now time.Time, d time.Duration) time.Duration {
	at := now.Add(d)
	if whole := at.Truncate(time.Second); whole.Before(at) {
		at = whole.Add(time.Second)
	}
	return at.Sub(now)
}

// scheduleDelay is the n-th retry delay (n from 0) of a delivery schedule,
// jittered; the last entry repeats.
func scheduleDelay(s []time.Duration, n int, jitter float64) time.Duration {
	if len(s) == 0 {
		return time.Minute
	}
	return poller.Jitter(s[min(n, len(s)-1)], jitter, nil)
}

// IsFailure is the asynq IsFailure func: a not-ready poll is not a failure,
// so it neither increments the task's retry count nor asynq's failed
// statistics.
func IsFailure(err error) bool {
	var re *rescheduleError
	if errors.As(err, &re) {
		return re.failure
	}
	return true
}
