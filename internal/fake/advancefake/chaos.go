package advancefake

import (
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/faultinject"
)

// RandomFault makes Get Result calls answer Fault with probability Rate (0
// to 1). The rates of Options.RandomFaults add up: with HTTP500 at 0.1 and
// Timeout at 0.05, 15 % of calls answer one of the two.
type RandomFault = faultinject.Random[Fault]

// faults draws the faults answered outside scripts and counts every fault.
type faults = faultinject.Injector[Fault, FaultKind]

func newFaults(random []RandomFault, seed uint64) *faults {
	return faultinject.New(random, seed, func(f Fault) FaultKind { return f.Kind })
}

// Throttle makes every authenticated Get Result call answer f for d from
// now (after an id's scripted faults), as a provider shedding load does:
// use ServiceBusy or HTTP429 with a RetryAfter. A later call replaces the
// window; d <= 0 ends it.
func (s *Server) Throttle(d time.Duration, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject.Throttle(s.opts.Now().Add(d), f)
}

// FaultsInjected is the number of Get Result calls answered with each fault
// kind: scripted, random and throttling faults alike.
func (s *Server) FaultsInjected() map[FaultKind]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inject.Injected()
}
