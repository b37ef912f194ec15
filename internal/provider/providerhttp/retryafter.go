package providerhttp

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfterSyntax says which forms of a Retry-After value a provider
// client accepts.
type RetryAfterSyntax int

const (
	// RetryAfterStandard is RFC 9110's: a whole number of seconds or an
	// HTTP date.
	RetryAfterStandard RetryAfterSyntax = iota
	// RetryAfterLenient also accepts fractional seconds ("2.5") and Go
	// durations ("10s", "1m30s").
	RetryAfterLenient
)

// ParseRetryAfter reads a Retry-After header value in syntax, relative to
// now. It returns 0 for an empty, invalid or past value, and at most limit.
func ParseRetryAfter(v string, now time.Time, syntax RetryAfterSyntax, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	d, ok := parseSeconds(v, syntax, limit)
	if !ok && syntax == RetryAfterLenient {
		if pd, err := time.ParseDuration(v); err == nil {
			d, ok = pd, true
		}
	}
	if !ok {
		if t, err := http.ParseTime(v); err == nil {
			d = t.Sub(now)
		}
	}
	return min(max(d, 0), limit)
}

// parseSeconds reads v as a number of seconds in syntax; ok reports that it
// is one.
func parseSeconds(v string, syntax RetryAfterSyntax, limit time.Duration) (d time.Duration, ok bool) {
	if syntax == RetryAfterLenient {
		secs, err := strconv.ParseFloat(v, 64)
		switch {
		case err != nil:
			return 0, false
		case secs != secs || secs <= 0: // NaN or not positive
			return 0, true
		case secs >= limit.Seconds():
			return limit, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	secs, err := strconv.ParseUint(v, 10, 64)
	switch {
	case err != nil:
		return 0, false
	case secs >= uint64(limit/time.Second):
		return limit, true
	}
	return time.Duration(secs) * time.Second, true
}
