package bench

import (
	"sync"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/receiver"
)

// ArrivalLog records the deliveries the receiver accepted: how many, the
// first and last, and (when tracking) when each verification's arrived.
type ArrivalLog struct {
	track bool

	mu      sync.Mutex
	n       int64
	first   time.Time
	last    time.Time
	arrived map[string]time.Time
}

func newArrivalLog(track bool) *ArrivalLog {
	return &ArrivalLog{track: track, arrived: map[string]time.Time{}}
}

func (a *ArrivalLog) record(d receiver.Delivery) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if d.Attempt != 1 {
		return // a redelivery: counted once
	}
	a.n++
	if a.first.IsZero() {
		a.first = now
	}
	a.last = now
	if a.track {
		a.arrived[d.Event.Data.VerificationID] = now
	}
}

// Count is the number of distinct events delivered so far.
func (a *ArrivalLog) Count() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// Span returns the times of the first and last arrival.
func (a *ArrivalLog) Span() (first, last time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.first, a.last
}

// Arrived returns when the event of verification id arrived.
func (a *ArrivalLog) Arrived(id string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.arrived[id]
	return t, ok
}

func (a *ArrivalLog) reset() {
	a.mu.Lock()
	a.first, a.last = time.Time{}, time.Time{}
	a.mu.Unlock()
}
