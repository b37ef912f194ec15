// Package faultinject draws the faults a fake provider answers outside its
// scripts: random ones at given rates, and throttling windows during which
// every call gets the same fault. It counts every fault answered, scripted
// ones included when the fake reports them. The fakes instantiate it with
// their own Fault and FaultKind types.
package faultinject

import (
	"maps"
	"math/rand/v2"
	"time"
)

// Random makes a call answer Fault with probability Rate (0 to 1). Rates
// add up: with one fault at 0.1 and another at 0.05, 15 % of calls answer
// one of the two.
type Random[F any] struct {
	Fault F
	Rate  float64
}

// Injector is not safe for concurrent use: the fakes call it with their own
// lock held.
type Injector[F any, K comparable] struct {
	rng           *rand.Rand
	random        []Random[F]
	kind          func(F) K
	throttle      F
	throttleUntil time.Time
	injected      map[K]int
}

// New returns an Injector drawing random among its faults from a source
// seeded with seed; kind tells a fault's kind for the counts.
func New[F any, K comparable](random []Random[F], seed uint64, kind func(F) K) *Injector[F, K] {
	return &Injector[F, K]{
		rng:      rand.New(rand.NewPCG(seed, 0x6b7963)),
		random:   append([]Random[F](nil), random...),
		kind:     kind,
		injected: make(map[K]int),
	}
}

// Pick returns the fault to answer at now, if any: the throttling fault
// while a window is open, else a random draw. The fault is counted.
func (c *Injector[F, K]) Pick(now time.Time) (F, bool) {
	if now.Before(c.throttleUntil) {
		c.Count(c.throttle)
		return c.throttle, true
	}
	if len(c.random) > 0 {
		x := c.rng.Float64()
		for _, rf := range c.random {
			if x < rf.Rate {
				c.Count(rf.Fault)
				return rf.Fault, true
			}
			x -= rf.Rate
		}
	}
	var none F
	return none, false
}

// Count counts f as answered (for scripted faults, which Pick never sees).
func (c *Injector[F, K]) Count(f F) { c.injected[c.kind(f)]++ }

// Throttle opens a window until until during which Pick answers f. A later
// call replaces the window; a time in the past ends it.
func (c *Injector[F, K]) Throttle(until time.Time, f F) {
	c.throttle, c.throttleUntil = f, until
}

// Injected returns how many faults of each kind were answered.
func (c *Injector[F, K]) Injected() map[K]int { return maps.Clone(c.injected) }
