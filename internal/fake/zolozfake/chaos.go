package zolozfake

import (
	"math/rand/v2"
	"time"
)

// RandomFault makes checkresult calls answer Fault with probability Rate (0
// to 1). The rates of Options.RandomFaults add up: with HTTP500 at 0.1 and
// Timeout at 0.05, 15 % of calls answer one of the two.
type RandomFault struct {
	Fault
	Rate float64
}

// chaos holds the faults injected outside scripts: random ones, throttling
// windows, and a count of every fault answered. Its methods are called with
// the Server's mu held.
type chaos struct {
	rng           *rand.Rand
	random        []RandomFault
	throttle      Fault
	throttleUntil time.Time
	injected      map[FaultKind]int
}

func newChaos(random []RandomFault, seed uint64) chaos {
	return chaos{
		rng:      rand.New(rand.NewPCG(seed, 0x6b7963)),
		random:   append([]RandomFault(nil), random...),
		injected: make(map[FaultKind]int),
	}
}

// pick returns the fault to answer at now outside a script, if any: the
// throttling fault while a window is open, else a random draw.
func (c *chaos) pick(now time.Time) (Fault, bool) {
	if now.Before(c.throttleUntil) {
		c.count(c.throttle.Kind)
		return c.throttle, true
	}
	if len(c.random) == 0 {
		return Fault{}, false
	}
	x := c.rng.Float64()
	for _, rf := range c.random {
		if x < rf.Rate {
			c.count(rf.Kind)
			return rf.Fault, true
		}
		x -= rf.Rate
	}
	return Fault{}, false
}

func (c *chaos) count(k FaultKind) { c.injected[k]++ }

// Throttle makes every accepted checkresult call answer f for d from
// now (after an id's scripted faults), as a provider shedding load does:
// use TrafficLimit or HTTP429 with a RetryAfter. A later call replaces the
// window; d <= 0 ends it.
func (s *Server) Throttle(d time.Duration, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos.throttle, s.chaos.throttleUntil = f, s.opts.Now().Add(d)
}

// FaultsInjected is the number of checkresult calls answered with each fault
// kind: scripted, random and throttling faults alike.
func (s *Server) FaultsInjected() map[FaultKind]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[FaultKind]int, len(s.chaos.injected))
	for k, n := range s.chaos.injected {
		m[k] = n
	}
	return m
}
