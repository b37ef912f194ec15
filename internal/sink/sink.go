// Package sink delivers completion events to the systems that wait for them.
//
// A sink makes one delivery attempt per call and classifies the outcome; it
// never retries by itself. The caller (the delivery task) owns the retry
// schedule and uses the error types here to decide what to do next:
//
//   - nil: delivered.
//   - *RetryableError: try again later, no sooner than its RetryAfter when
//     that is positive (the receiver's own Retry-After hint).
//   - *PermanentError: stop retrying now; the event is kept for replay.
//
// Errors carry status codes and this package's own words only: never a
// response body (receivers may echo what they were sent), the request body,
// event data or a signing secret.
package sink

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// RetryableError is a failed attempt worth repeating: a network error or
// timeout (StatusCode 0), a non-2xx answer other than 410, a redirect.
type RetryableError struct {
	// StatusCode is the HTTP status answered, or 0 when there was no answer.
	StatusCode int
	// RetryAfter, when positive, is the receiver's own hint of how long to
	// wait before the next attempt.
	RetryAfter time.Duration
	Err        error
}

func (e *RetryableError) Error() string {
	return describe("delivery failed, will retry", e.StatusCode, e.Err, e.RetryAfter)
}

func (e *RetryableError) Unwrap() error { return e.Err }

// PermanentError is a failed attempt that must not be repeated, such as
// 410 Gone from a webhook endpoint that was removed.
type PermanentError struct {
	// StatusCode is the HTTP status answered, or 0 when the failure is on
	// our side (an event that cannot be sent at all).
	StatusCode int
	Err        error
}

func (e *PermanentError) Error() string {
	return describe("delivery failed permanently", e.StatusCode, e.Err, 0)
}

func (e *PermanentError) Unwrap() error { return e.Err }

var (
	_ error = (*RetryableError)(nil)
	_ error = (*PermanentError)(nil)
)

// RetryAfter returns the RetryAfter of the first RetryableError in err's
// chain, or 0.
func RetryAfter(err error) time.Duration {
	var re *RetryableError
	if errors.As(err, &re) {
		return re.RetryAfter
	}
	return 0
}

// IsPermanent reports whether err's chain holds a PermanentError.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

func describe(prefix string, status int, err error, retryAfter time.Duration) string {
	var b strings.Builder
	b.WriteString(prefix)
	if status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", status)
	}
	if err != nil {
		b.WriteString(": ")
		b.WriteString(err.Error())
	}
	if retryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", retryAfter)
	}
	return b.String()
}
