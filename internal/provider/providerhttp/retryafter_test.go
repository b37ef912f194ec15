package providerhttp

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfterSyntaxes(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	const limit = time.Hour
	for _, tc := range []struct {
		in                string
		standard, lenient time.Duration
	}{
		{"10", 10 * time.Second, 10 * time.Second},
		{"2.5", 0, 2500 * time.Millisecond},
		{"1m30s", 0, 90 * time.Second},
		{"+5", 0, 5 * time.Second},
		{"99999999999999999999", 0, limit},
		{"3600", limit, limit},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, time.Minute},
		{"", 0, 0},
	} {
		if got := ParseRetryAfter(tc.in, now, RetryAfterStandard, limit); got != tc.standard {
			t.Errorf("ParseRetryAfter(%q, standard) = %s, want %s", tc.in, got, tc.standard)
		}
		if got := ParseRetryAfter(tc.in, now, RetryAfterLenient, limit); got != tc.lenient {
			t.Errorf("ParseRetryAfter(%q, lenient) = %s, want %s", tc.in, got, tc.lenient)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	t.Parallel()
	if u, err := ParseBaseURL("https://api.example.com/", "https://x"); err != nil || u.Host != "api.example.com" {
		t.Errorf("ParseBaseURL = %v, %v", u, err)
	}
	for _, raw := range []string{"", "api.example.com", "ftp://h", "https://u:p@h", "https://h?q=1", "https://h#f"} {
		if _, err := ParseBaseURL(raw, "https://x"); err == nil {
			t.Errorf("ParseBaseURL(%q) accepted", raw)
		}
	}
}
