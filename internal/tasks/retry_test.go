package tasks

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRoundUpToSecondNeverEarlier(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		offset, d, want time.Duration
	}{
		{0, 0, 0},
		{0, time.Second, time.Second},
		{0, 500 * time.Millisecond, time.Second},
		{300 * time.Millisecond, 500 * time.Millisecond, 700 * time.Millisecond},
		{900 * time.Millisecond, 200 * time.Millisecond, 1100 * time.Millisecond},
		{100 * time.Millisecond, 5 * time.Second, 5900 * time.Millisecond},
	} {
		now := base.Add(tc.offset)
		got := roundUpToSecond(now, tc.d)
		if got != tc.want {
			t.Errorf("roundUpToSecond(+%v, %v) = %v, want %v", tc.offset, tc.d, got, tc.want)
		}
		if got < tc.d || now.Add(got).Nanosecond() != 0 {
			t.Errorf("roundUpToSecond(+%v, %v) = %v: earlier than asked or not on a whole second", tc.offset, tc.d, got)
		}
	}
}

func TestIsFailureSeparatesNotReadyFromErrors(t *testing.T) {
	t.Parallel()
	if IsFailure(notReady(time.Second)) {
		t.Error("a not-ready poll counts as a failure")
	}
	if IsFailure(fmt.Errorf("wrapped: %w", notReady(time.Second))) {
		t.Error("a wrapped not-ready poll counts as a failure")
	}
	if !IsFailure(retryAfter(time.Second, errors.New("provider down"))) {
		t.Error("a provider error does not count as a failure")
	}
	if !IsFailure(errors.New("anything else")) {
		t.Error("an unclassified error does not count as a failure")
	}
	if d := RetryDelay(0, notReady(3*time.Second), nil); d < 3*time.Second || d > 4*time.Second {
		t.Errorf("RetryDelay(not ready 3s) = %v, want within [3s, 4s]", d)
	}
}
