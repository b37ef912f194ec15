package advance

import (
	"time"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
)

// maxRetryAfter caps the provider's hint, so that a bogus header cannot park
// a verification for days.
const maxRetryAfter = time.Hour

// parseRetryAfter reads a Retry-After header: a number of seconds ("10",
// "2.5"), a Go duration ("10s", "1m30s", the form ADVANCE.AI documents) or an
// HTTP date. It returns 0 for an empty, invalid or past value, and at most
// maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	return providerhttp.ParseRetryAfter(v, now, providerhttp.RetryAfterLenient, maxRetryAfter)
}
