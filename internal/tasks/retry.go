package tasks

import (
	"errors"
	"time"

	"github.com/hibiken/asynq"
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

// RetryDelay is the asynq RetryDelayFunc for kycpoller's tasks: the delay a
// handler asked for, or asynq's default for anything else.
//
// asynq stores the time of a retry in whole Unix seconds, truncating, so a
// delay of 1.5 s could run the task after only 1 s. The delay is rounded up
// so that the task never runs earlier than asked (a provider's Retry-After,
// a rate limit); it may run up to a second, plus
// worker.delayed_task_check_interval, later.
func RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	var re *rescheduleError
	if errors.As(err, &re) {
		return roundUpToSecond(time.Now(), re.after)
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// roundUpToSecond extends d so that now+d falls on a whole second.
func roundUpToSecond(now time.Time, d time.Duration) time.Duration {
	at := now.Add(d)
	if whole := at.Truncate(time.Second); whole.Before(at) {
		at = whole.Add(time.Second)
	}
	return at.Sub(now)
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
