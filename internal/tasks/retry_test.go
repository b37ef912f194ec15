package tasks

import (
	"errors"

	"github.com/hibiken/asynq"

	"fmt"
	"github.com/kycpoller/kycpoller/internal/config"
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
}

func TestRetryPolicyBoundsEveryDelay(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{
		Polling: config.Polling{InitialInterval: 5 * time.Second, MaxInterval: 5 * time.Minute, Multiplier: 2,
			MaxAge: 2 * time.Hour, ErrorInitialInterval: 2 * time.Second},
		Sinks: map[string]config.Sink{"default": {RetrySchedule: []time.Duration{5 * time.Second, time.Hour}}},
	}
	p := NewRetryPolicy(cfg)
	poll := asynq.NewTask(TypePoll, []byte(fmt.Sprintf(`{"provider":"advance","id":"x","enqueued_at_ms":%d}`, time.Now().UnixMilli())))
	deliver := asynq.NewTask(TypeDeliver, []byte(`{"event_id":"evt_x","sink":"default"}`))
	for _, tc := range []struct {
		name     string
		n        int
		err      error
		task     *asynq.Task
		min, max time.Duration
	}{
		{"not ready", 0, notReady(3 * time.Second), poll, 3 * time.Second, 4 * time.Second},
		// A lost lease or a deadline after many failed polls: the error
		// schedule, capped at max_interval, never asynq's n^4 default.
		{"lease expired, poll, n=18", 18, asynq.ErrLeaseExpired, poll, 5 * time.Minute, 5*time.Minute + time.Second},
		{"lease expired, poll, n=400", 400, asynq.ErrLeaseExpired, poll, 5 * time.Minute, 5*time.Minute + time.Second},
		{"lease expired, delivery, n=0", 0, asynq.ErrLeaseExpired, deliver, 4 * time.Second, 7 * time.Second},
		{"lease expired, delivery, n=9", 9, asynq.ErrLeaseExpired, deliver, 54 * time.Minute, 67 * time.Minute},
		{"unknown task type", 3, errors.New("x"), asynq.NewTask("other", nil), time.Minute, time.Minute + time.Second},
	} {
		d := p.Delay(tc.n, tc.err, tc.task)
		if d < tc.min || d > tc.max {
			t.Errorf("%s: delay %v, want within [%v, %v]", tc.name, d, tc.min, tc.max)
		}
	}
}
