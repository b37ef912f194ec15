// Package store keeps kycpoller's own state in Redis, beside asynq's:
//
//   - per verification, a small hash with the poll count and, once the result
//     is final, the id of its event (so a poll task re-run after a crash
//     delivers the known result instead of calling the provider again);
//   - per final event, the encoded event, kept for the event retention so
//     that deliveries can be retried and replayed long after the poll ended.
//
// Task payloads carry references only; everything personal lives here, under
// a TTL, and nowhere else.
package store

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// KeyPrefix starts every key this package writes.
const KeyPrefix = "kycpoller:"

// Store reads and writes verification state and final events.
type Store struct {
	rdb redis.UniversalClient
	// StateTTL bounds how long a verification's state hash lives: set when
	// its first poll creates it and again when its final event is recorded,
	// it covers the longest a verification can wait plus the duplicate
	// window.
	stateTTL time.Duration
	// eventTTL is the event retention.
	eventTTL time.Duration
	// cipher encrypts stored events; nil stores them as JSON.
	cipher *Cipher
}

// Options configures a Store.
type Options struct {
	StateTTL time.Duration
	EventTTL time.Duration
	// Cipher, when set, encrypts every stored event (see Cipher); events
	// stored before it was set stay readable.
	Cipher *Cipher
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opts Options) *Store {
	return &Store{rdb: rdb, stateTTL: opts.StateTTL, eventTTL: opts.EventTTL, cipher: opts.Cipher}
}

func stateKey(provider, id string) string { return KeyPrefix + "v:" + provider + ":" + id }

func eventKey(eventID string) string { return KeyPrefix + "event:" + eventID }
