package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/ratelimit"
	"github.com/kycpoller/kycpoller/internal/redistest"
)

func TestReserveSharesOneLimitAcrossLimiters(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts := ratelimit.Options{Limits: map[string]config.RateLimit{"advance": {RPS: 10, Burst: 3}}}
	// Two limiters on two connections stand for two worker processes.
	a := ratelimit.New(redistest.Client(t, srv), opts)
	b := ratelimit.New(redistest.Client(t, srv), opts)
	ctx := context.Background()
	// At 10/s with a burst of 3: 3 go now, the next 10 (a second's worth)
	// are booked 100ms apart, the rest are put off.
	var holds []time.Duration
	now, putOff := 0, 0
	var retry time.Duration
	for i := range 20 {
		l := a
		if i%2 == 1 {
			l = b
		}
		hold, r, err := l.Reserve(ctx, "advance")
		switch {
		case err != nil:
			t.Fatal(err)
		case r > 0:
			putOff++
			retry = r
		case hold > 0:
			holds = append(holds, hold)
		default:
			now++
		}
	}
	if now != 3 || len(holds) != 10 || putOff != 7 {
		t.Fatalf("now %d, booked %d, put off %d; want 3, 10, 7", now, len(holds), putOff)
	}
	for i, h := range holds {
		want := time.Duration(i+1) * 100 * time.Millisecond
		if h < want-20*time.Millisecond || h > want+time.Millisecond || h > ratelimit.MaxHold {
			t.Errorf("booked turn %d in %v, want about %v", i, h, want)
		}
	}
	if retry <= 0 || retry > 100*time.Millisecond {
		t.Errorf("retry after %v, want within (0, 100ms]", retry)
	}
	// A provider without a limit is never put off.
	for range 100 {
		if hold, retry, err := a.Reserve(ctx, "zoloz"); hold != 0 || retry != 0 || err != nil {
			t.Fatalf("unlimited provider: hold %v, retry %v, %v", hold, retry, err)
		}
	}
}

func TestThrottledPausesEveryLimiter(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := ratelimit.New(redistest.Client(t, srv), ratelimit.Options{ThrottlePause: time.Minute})
	b := ratelimit.New(redistest.Client(t, srv), ratelimit.Options{})
	ctx := context.Background()
	if err := a.Throttled(ctx, "advance", 0); err != nil {
		t.Fatal(err)
	}
	_, wait, err := b.Reserve(ctx, "advance")
	if err != nil || wait < 59*time.Second || wait > time.Minute {
		t.Errorf("after a throttling answer: wait %v, %v; want about 1m", wait, err)
	}
	// A shorter pause does not cut a longer one short.
	if err := b.Throttled(ctx, "advance", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, wait, _ := a.Reserve(ctx, "advance"); wait < 59*time.Second {
		t.Errorf("a shorter pause shortened the running one: wait %v", wait)
	}
	// The provider's Retry-After is honoured, capped.
	if err := a.Throttled(ctx, "zoloz", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, wait, _ := b.Reserve(ctx, "zoloz"); wait <= time.Minute || wait > ratelimit.MaxThrottlePause {
		t.Errorf("zoloz wait %v, want the cap %v", wait, ratelimit.MaxThrottlePause)
	}
}

// With reschedule_only nothing is booked ahead: a caller goes now, within
// the burst, or is put off.
func TestRescheduleOnlyNeverHolds(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	opts := ratelimit.Options{Limits: map[string]config.RateLimit{"advance": {RPS: 10, Burst: 3, RescheduleOnly: true}}}
	l := ratelimit.New(redistest.Client(t, srv), opts)
	now, putOff := 0, 0
	for range 20 {
		hold, retry, err := l.Reserve(context.Background(), "advance")
		switch {
		case err != nil:
			t.Fatal(err)
		case hold != 0:
			t.Fatalf("hold %v with reschedule_only, want none", hold)
		case retry > 0:
			putOff++
		default:
			now++
		}
	}
	if now != 3 || putOff != 17 {
		t.Errorf("now %d, put off %d; want 3 (the burst), 17", now, putOff)
	}
}

// A process that read "no pause" sees another process's pause once
// PauseRecheck has passed; the throttled process itself pauses at once.
func TestPauseSeenAfterRecheck(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a := ratelimit.New(redistest.Client(t, srv), ratelimit.Options{})
	b := ratelimit.New(redistest.Client(t, srv), ratelimit.Options{})
	ctx := context.Background()
	if _, wait, err := b.Reserve(ctx, "advance"); wait != 0 || err != nil {
		t.Fatalf("before any pause: wait %v, %v", wait, err)
	}
	if err := a.Throttled(ctx, "advance", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, wait, _ := a.Reserve(ctx, "advance"); wait < 59*time.Second {
		t.Errorf("the throttled process: wait %v, want about 1m at once", wait)
	}
	time.Sleep(ratelimit.PauseRecheck + 10*time.Millisecond)
	if _, wait, _ := b.Reserve(ctx, "advance"); wait < 59*time.Second {
		t.Errorf("another process after PauseRecheck: wait %v, want about 1m", wait)
	}
}
