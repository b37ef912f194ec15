package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/event"
)

// PeekEvent loads a stored event by id without restarting its retention,
// for read-only views such as a status query.
func (s *Store) PeekEvent(ctx context.Context, id string) (*event.Event, error) {
	b, err := s.rdb.Get(ctx, eventKey(id)).Bytes()
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
