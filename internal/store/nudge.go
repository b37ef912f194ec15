package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/verification"
)

func nudgeKey(provider, id string) string { return KeyPrefix + "nudge:" + provider + ":" + id }

// MarkNudged records that ref was asked to be polled now while its poll was
// running, so that the running poll, if it finds the result not final yet,
// polls again soon instead of on its schedule. The mark lasts ttl.
func (s *Store) MarkNudged(ctx context.Context, ref verification.Ref, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, nudgeKey(ref.Provider, ref.ID), "1", ttl).Err(); err != nil {
		return fmt.Errorf("mark %s nudged: %w", ref, err)
	}
	return nil
}

// TakeNudge reports whether ref was marked nudged, and clears the mark.
func (s *Store) TakeNudge(ctx context.Context, ref verification.Ref) (bool, error) {
	err := s.rdb.GetDel(ctx, nudgeKey(ref.Provider, ref.ID)).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read nudge of %s: %w", ref, err)
	}
	return true, nil
}
