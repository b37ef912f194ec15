package sink

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{" 7 ", 7 * time.Second},
		{"86400", 24 * time.Hour},
		{"86401", MaxRetryAfter},
		{"99999999999999999999999", MaxRetryAfter},
		{"-3", 0},
		{"+3", 0},
		{"1.5", 0},
		{"soon", 0},
		{date(90 * time.Second), 90 * time.Second},
		{now.Add(2 * time.Minute).Format(time.RFC850), 2 * time.Minute},
		{now.Add(3 * time.Minute).Format(time.ANSIC), 3 * time.Minute},
		{date(-time.Minute), 0},
		{date(48 * time.Hour), MaxRetryAfter},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
