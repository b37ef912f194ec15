package schedulesim

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestPlayTimesOutAtTheDeadline(t *testing.T) {
	t.Parallel()
	s := Strategy{Name: "fixed", Schedule: FixedSchedule(10 * time.Minute)}
	rng := rand.New(rand.NewPCG(1, 1))
	out, err := play(s, DefaultDispatch(), 3*s.Schedule.MaxAge, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Polls at 0, 10m, ..., 110m, and the last one at the 2h deadline.
	if !out.timedOut || out.calls != 13 {
		t.Fatalf("outcome = %+v, want TIMEOUT after 13 calls", out)
	}
}

func TestPlayFindsTheResultAtTheNextPoll(t *testing.T) {
	t.Parallel()
	s := Strategy{Name: "fixed", Schedule: FixedSchedule(10 * time.Minute)}
	rng := rand.New(rand.NewPCG(1, 2))
	out, err := play(s, Dispatch{}, 15*time.Minute, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Without dispatch lag polls run at 0, 10m and 20m, rounded up to the
	// enqueue's next whole second.
	if out.timedOut || out.calls != 3 || out.delay < 5*time.Minute || out.delay > 5*time.Minute+time.Second {
		t.Fatalf("outcome = %+v, want found by the third poll about 5m late", out)
	}
}

func TestPlayCallbackNudgesAndLostCallbackFallsBack(t *testing.T) {
	t.Parallel()
	cb := Callbacks{DelayMin: 500 * time.Millisecond, DelayMax: 500*time.Millisecond + 1}
	s := Strategy{Name: "cb", Schedule: CallbackSchedule(), Callbacks: &cb}
	rng := rand.New(rand.NewPCG(1, 3))
	out, err := play(s, Dispatch{}, time.Minute, rng)
	if err != nil {
		t.Fatal(err)
	}
	if out.calls != 1 || out.delay != 500*time.Millisecond {
		t.Fatalf("nudged outcome = %+v, want one call 500ms after the result", out)
	}
	cb.LossRate = 1
	out, err = play(s, Dispatch{}, time.Minute, rng)
	if err != nil {
		t.Fatal(err)
	}
	if out.calls != 1 || out.delay < 8*time.Minute {
		t.Fatalf("lost-callback outcome = %+v, want one call at the first_delay poll", out)
	}
}

func TestDispatchModel(t *testing.T) {
	t.Parallel()
	if got := retryDue(1500*time.Millisecond, 2*time.Second); got != 4*time.Second {
		t.Errorf("retryDue(1.5s, 2s) = %v, want 4s (rounded up)", got)
	}
	if got := retryDue(time.Second, 2*time.Second); got != 3*time.Second {
		t.Errorf("retryDue(1s, 2s) = %v, want 3s", got)
	}
	if got := scheduledDue(1500*time.Millisecond, 2*time.Second); got != 3*time.Second {
		t.Errorf("scheduledDue(1.5s, 2s) = %v, want 3s (truncated)", got)
	}
	d := Dispatch{DelayedTaskCheckInterval: time.Second, TaskCheckInterval: time.Second}
	rng := rand.New(rand.NewPCG(1, 4))
	var lo, hi time.Duration = time.Hour, 0
	for range 10_000 {
		p := d.pickup(rng)
		lo, hi = min(lo, p), max(hi, p)
		if f := d.forwarded(0, rng); f < 0 || f >= time.Second {
			t.Fatalf("forwarded(0) = %v, want within [0, 1s)", f)
		}
	}
	if lo < 0 || hi >= 1500*time.Millisecond || hi < time.Second {
		t.Errorf("pick-up latencies span [%v, %v], want within [0, 1.5s) and reaching past 1s", lo, hi)
	}
	if got := (Dispatch{}).pickup(rng); got != 0 {
		t.Errorf("busy worker pick-up = %v, want 0", got)
	}
}
