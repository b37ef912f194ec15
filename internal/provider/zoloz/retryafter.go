package zoloz

import (
	"time"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
)

// maxRetryAfter caps a Retry-After hint, so that a bogus header cannot park
// a verification for days.
const maxRetryAfter = time.Hour

// parseRetryAfter reads a Retry-After header (RFC 9110): a number of seconds
// or an HTTP date. It returns 0 for an empty, invalid or past value, and at
// most maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	return providerhttp.ParseRetryAfter(v, now, providerhttp.RetryAfterStandard, maxRetryAfter)
}
