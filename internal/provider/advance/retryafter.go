package advance

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps the provider's hint, so that a bogus header cannot park
// a verification for days.
const maxRetryAfter = time.Hour

// parseRetryAfter reads a Retry-After header: a number of seconds ("10",
// "2.5"), a Go duration ("10s", "1m30s", the form ADVANCE.AI documents) or an
// HTTP date. It returns 0 for an empty, invalid or past value, and at most
// maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs != secs || secs <= 0 { // NaN or not positive
			return 0
		}
		if secs >= maxRetryAfter.Seconds() {
			return maxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if pd, err := time.ParseDuration(v); err == nil {
		d = pd
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
