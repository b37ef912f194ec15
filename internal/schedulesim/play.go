package schedulesim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// outcome is what one verification cost under one strategy.
type outcome struct {
	calls int
	// delay is from the result turning final to the start of the poll that
	// found it; meaningless when timedOut.
	delay    time.Duration
	timedOut bool
}

// play runs one verification, final ttf after its enqueue, through the
// strategy's schedule as the poll handler does (tasks.PollHandler): poll; if
// not final, end with TIMEOUT when Expired, else run again after
// NotReadyDelay.
func play(s Strategy, d Dispatch, ttf time.Duration, rng *rand.Rand) (outcome, error) {
	sch := s.Schedule
	// The enqueue happens at a random point of a second, which decides how
	// asynq's whole-second timestamps round.
	enq := uniform(0, time.Second, rng)
	final := enq + ttf

	callback, hasCallback := time.Duration(0), false
	if c := s.Callbacks; c != nil && rng.Float64() >= c.LossRate {
		callback, hasCallback = final+uniform(c.DelayMin, c.DelayMax, rng), true
	}

	// queued is when the poll task enters its queue (pending).
	queued := enq
	if sch.FirstDelay > 0 {
		queued = d.forwarded(scheduledDue(enq, sch.FirstDelay), rng)
	}
	// Every poll starts at least a rounded-up second after the previous
	// one, so this bounds the loop well above any real schedule.
	maxPolls := int(sch.MaxAge/time.Second) + int(sch.FirstDelay/time.Second) + 10
	var out outcome
	for out.calls < maxPolls {
		start := queued + d.pickup(rng)
		if hasCallback && callback < start {
			// Every earlier poll started before the result was final, so
			// the callback comes after them. Before the task is queued
			// it is moved to the queue at once; once queued, it is
			// already due and left alone.
			if callback < queued {
				start = callback + d.pickup(rng)
			}
			hasCallback = false
		}
		out.calls++
		if start >= final {
			out.delay = start - final
			return out, nil
		}
		age := start - enq
		if sch.Expired(age) {
			out.timedOut = true
			return out, nil
		}
		queued = d.forwarded(retryDue(start, sch.NotReadyDelay(age, rng)), rng)
	}
	return out, fmt.Errorf("verification final after %v still polling after %d polls", ttf, out.calls)
}
