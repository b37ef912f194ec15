package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/event"
)

// ErrEventNotFound is returned for an event that was never stored or has
// expired.
var ErrEventNotFound = errors.New("event not found (never stored, or expired after the event retention)")

// record is the stored form of an event: the body plus its id, which is not
// part of the body.
type record struct {
	ID    string       `json:"id"`
	Event *event.Event `json:"event"`
}

// RecordFinal stores a final event and marks its verification final, with
// the sink it was routed to, in one transaction: either a re-run of the poll
// finds both, or neither.
func (s *Store) RecordFinal(ctx context.Context, ev *event.Event, sink string) error {
	b, err := json.Marshal(record{ID: ev.ID, Event: ev})
	if err != nil {
		return fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	b = s.sealRecord(ev.ID, b)
	ref := ev.Ref()
	key := stateKey(ref.Provider, ref.ID)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, eventKey(ev.ID), b, s.eventTTL)
		p.HSet(ctx, key, "final", ev.ID, "sink", sink)
		p.HDel(ctx, key, "errs")
		p.PExpire(ctx, key, s.stateTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store event %s: %w", ev.ID, err)
	}
	return nil
}

// Event loads a stored event by id and restarts its retention, so that an
// event still being delivered (or replayed) is not dropped halfway through a
// long retry schedule.
func (s *Store) Event(ctx context.Context, id string) (*event.Event, error) {
	b, err := s.rdb.GetEx(ctx, eventKey(id), s.eventTTL).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load event %s: %w", id, ErrEventNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load event %s: %w", id, err)
	}
	if b, err = s.openRecord(id, b); err != nil {
		return nil, fmt.Errorf("load event %s: %w", id, err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil || r.Event == nil {
		return nil, fmt.Errorf("load event %s: stored record is corrupt", id)
	}
	r.Event.ID = r.ID
	return r.Event, nil
}
