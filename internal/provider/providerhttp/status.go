package providerhttp

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// StatusPolicy is what differs between providers in classifying HTTP
// statuses.
type StatusPolicy struct {
	// AccessDenied is the advice in the ConfigError for 401 and 403, such
	// as "check the credentials and the base URL".
	AccessDenied string
	// RetryAfter reads a Retry-After header value at now.
	RetryAfter func(v string, now time.Time) time.Duration
}

// StatusError classifies a non-2xx HTTP status, and returns nil for 2xx.
// The providers answer 200 to everything they understand, so other statuses
// come from gateways, load balancers, rate limiters or a wrong base URL.
func StatusError(resp *http.Response, now time.Time, p StatusPolicy) error {
	s := resp.StatusCode
	code := "http_" + strconv.Itoa(s)
	switch {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusTooManyRequests:
		return &verification.TransientError{
			Code:       code,
			Throttled:  true,
			RetryAfter: p.RetryAfter(resp.Header.Get("Retry-After"), now),
		}
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return &verification.ConfigError{Code: code, Err: errors.New("access denied; " + p.AccessDenied)}
	case s == http.StatusRequestTimeout || s >= 500:
		return &verification.TransientError{
			Code:       code,
			RetryAfter: p.RetryAfter(resp.Header.Get("Retry-After"), now),
		}
	default:
		// Redirects (never followed) and other 4xx: the base URL or the
		// request shape is wrong, which retrying quickly will not fix.
		return &verification.ConfigError{Code: code, Err: errors.New("unexpected HTTP status; check the base URL")}
	}
}
