package poller_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/poller"
)

func defaultSchedule() poller.Schedule {
	return poller.Schedule{
		InitialInterval:      5 * time.Second,
		MaxInterval:          5 * time.Minute,
		Multiplier:           2,
		MaxAge:               2 * time.Hour,
		ErrorInitialInterval: 2 * time.Second,
	}
}

func TestNotReadyDelayGrowsWithAgeAndCaps(t *testing.T) {
	t.Parallel()
	s := defaultSchedule()
	// Un-jittered poll times: 0, 5, 15, 35, 75, 155, 315 (interval 160), then every 300 s.
	for _, tc := range []struct {
		age  time.Duration
		want time.Duration
	}{
		{0, 5 * time.Second},
		{4 * time.Second, 5 * time.Second},
		{5 * time.Second, 10 * time.Second},
		{15 * time.Second, 20 * time.Second},
		{75 * time.Second, 80 * time.Second},
		{155 * time.Second, 160 * time.Second},
		{315 * time.Second, 300 * time.Second},
		{time.Hour, 300 * time.Second},
	} {
		if got := s.NotReadyDelay(tc.age, nil); got != tc.want {
			t.Errorf("NotReadyDelay(%v) = %v, want %v", tc.age, got, tc.want)
		}
	}
}

func TestNotReadyDelayLandsOnDeadline(t *testing.T) {
	t.Parallel()
	s := defaultSchedule()
	age := s.MaxAge - 42*time.Second
	if got := s.NotReadyDelay(age, nil); got != 42*time.Second {
		t.Fatalf("delay near deadline = %v, want 42s", got)
	}
	if got := s.NotReadyDelay(s.MaxAge+time.Minute, nil); got <= 0 {
		t.Fatalf("delay past deadline = %v, want a small positive delay", got)
	}
	if !s.Expired(s.MaxAge) || s.Expired(s.MaxAge-time.Nanosecond) {
		t.Fatal("Expired is wrong at the boundary")
	}
}

func TestJitterStaysWithinBounds(t *testing.T) {
	t.Parallel()
	s := defaultSchedule()
	s.Jitter = 0.2
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for range 2000 {
		d := s.NotReadyDelay(time.Hour, rng)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 240*time.Second || hi > 360*time.Second {
		t.Fatalf("jittered delays span [%v, %v], want within [240s, 360s]", lo, hi)
	}
	if hi-lo < 60*time.Second {
		t.Fatalf("jittered delays span only [%v, %v]: jitter not applied", lo, hi)
	}
}

func TestFirstDelayShiftsTheSchedule(t *testing.T) {
	t.Parallel()
	s := defaultSchedule()
	s.FirstDelay = 30 * time.Second
	if got := s.NotReadyDelay(30*time.Second, nil); got != 5*time.Second {
		t.Fatalf("delay after first poll = %v, want 5s", got)
	}
}

func TestErrorDelayDoublesAndHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	s := defaultSchedule()
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	for n, w := range want {
		if got := s.ErrorDelay(0, n, 0, nil); got != w {
			t.Errorf("ErrorDelay(n=%d) = %v, want %v", n, got, w)
		}
	}
	if got := s.ErrorDelay(0, 100, 0, nil); got != s.MaxInterval {
		t.Errorf("ErrorDelay(n=100) = %v, want the cap %v", got, s.MaxInterval)
	}
	if got := s.ErrorDelay(0, 0, 30*time.Second, nil); got != 30*time.Second {
		t.Errorf("ErrorDelay with Retry-After 30s = %v, want 30s", got)
	}
}

func TestValidateRejectsLoopingSchedules(t *testing.T) {
	t.Parallel()
	if err := defaultSchedule().Validate(); err != nil {
		t.Fatalf("default schedule: %v", err)
	}
	bad := defaultSchedule()
	bad.InitialInterval = 0
	bad.Multiplier = 0.5
	if err := bad.Validate(); err == nil {
		t.Fatal("invalid schedule accepted")
	}
}
