package verification

import (
	"errors"
	"fmt"
	"time"
)

// TransientError is a provider failure worth retrying: network trouble,
// timeouts, HTTP 5xx, a provider "server busy" code, an unreadable body.
// RetryAfter, when positive, is the provider's own hint (a Retry-After
// header) and is honoured as a minimum delay. Throttled marks rate-limit
// answers, so callers can count and react to them separately.
type TransientError struct {
	Code       string // provider code or a short reason such as "http_503"; never personal data
	RetryAfter time.Duration
	Throttled  bool
	Err        error
}

func (e *TransientError) Error() string {
	msg := "transient provider error"
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *TransientError) Unwrap() error { return e.Err }

// ConfigError is a failure caused by our side's set-up: bad credentials, a
// disabled account, an exhausted quota. Retrying quickly will not help and a
// final result must never be invented from it: callers keep retrying with
// backoff until the verification's deadline and make the problem loudly
// visible.
type ConfigError struct {
	Code string
	Err  error
}

func (e *ConfigError) Error() string {
	msg := "provider configuration error"
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ErrorCode returns the provider code carried by a TransientError or
// ConfigError in err's chain, or "".
func ErrorCode(err error) string {
	var te *TransientError
	if errors.As(err, &te) {
		return te.Code
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

// Transientf is shorthand for a TransientError with a formatted cause.
func Transientf(code string, format string, args ...any) *TransientError {
	return &TransientError{Code: code, Err: fmt.Errorf(format, args...)}
}
