package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// PollStart is what BeginPoll found.
type PollStart struct {
	// Polls counts the polls of this verification, this one included.
	Polls int
	// FinalEventID is set when this verification (as enqueued at the same
	// time) already has a final event: the poll must not call the provider.
	FinalEventID string
	// ConsecutiveErrors counts the provider errors since the last answer.
	ConsecutiveErrors int
}

// beginPoll resets state left by an earlier enqueue of the same reference,
// counts the poll and returns the final event id if one is recorded. A
// poll of a waiting verification costs one HMGET and one HSET. The expiry
// is set when the hash is (re)created: every poll happens within
// polling.max_age of the enqueue, which the TTL covers, and recording the
// final event refreshes it.
//
// KEYS[1] state hash; ARGV[1] enqueued-at (unix ms); ARGV[2] now (unix ms);
// ARGV[3] TTL (ms).
var beginPoll = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'enq', 'final', 'errs', 'polls')
local polls = 1
if v[1] == ARGV[1] then
  polls = (tonumber(v[4]) or 0) + 1
  redis.call('HSET', KEYS[1], 'polls', polls, 'last', ARGV[2])
else
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'enq', ARGV[1], 'polls', polls, 'last', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  v[2], v[3] = false, false
end
return {polls, v[2], v[3]}
`)

// BeginPoll records the start of a poll of ref, enqueued at enqueuedAt.
func (s *Store) BeginPoll(ctx context.Context, ref verification.Ref, enqueuedAt, now time.Time) (PollStart, error) {
	res, err := beginPoll.Run(ctx, s.rdb, []string{stateKey(ref.Provider, ref.ID)},
		enqueuedAt.UnixMilli(), now.UnixMilli(), s.stateTTL.Milliseconds()).Slice()
	if err != nil {
		return PollStart{}, fmt.Errorf("begin poll %s: %w", ref, err)
	}
	var ps PollStart
	if len(res) > 0 {
		if n, ok := res[0].(int64); ok {
			ps.Polls = int(n)
		}
	}
	if len(res) > 1 {
		if id, ok := res[1].(string); ok {
			ps.FinalEventID = id
		}
	}
	if len(res) > 2 {
		if n, ok := res[2].(string); ok {
			ps.ConsecutiveErrors, _ = strconv.Atoi(n)
		}
	}
	return ps, nil
}

// PollFailed counts a provider error in ref's run of consecutive errors.
func (s *Store) PollFailed(ctx context.Context, ref verification.Ref) error {
	if err := s.rdb.HIncrBy(ctx, stateKey(ref.Provider, ref.ID), "errs", 1).Err(); err != nil {
		return fmt.Errorf("count poll error of %s: %w", ref, err)
	}
	return nil
}

// PollAnswered ends ref's run of consecutive provider errors.
func (s *Store) PollAnswered(ctx context.Context, ref verification.Ref) error {
	if err := s.rdb.HDel(ctx, stateKey(ref.Provider, ref.ID), "errs").Err(); err != nil {
		return fmt.Errorf("reset poll errors of %s: %w", ref, err)
	}
	return nil
}

// State is a verification's recorded state.
type State struct {
	Polls        int
	EnqueuedAt   time.Time
	LastPollAt   time.Time
	FinalEventID string
	// Sink is the sink the final event was routed to.
	Sink string
}

// State returns ref's state; ok is false when nothing is recorded.
func (s *Store) State(ctx context.Context, ref verification.Ref) (st State, ok bool, err error) {
	m, err := s.rdb.HGetAll(ctx, stateKey(ref.Provider, ref.ID)).Result()
	if err != nil {
		return State{}, false, fmt.Errorf("read state of %s: %w", ref, err)
	}
	if len(m) == 0 {
		return State{}, false, nil
	}
	st.Polls, _ = strconv.Atoi(m["polls"])
	st.EnqueuedAt = unixMilli(m["enq"])
	st.LastPollAt = unixMilli(m["last"])
	st.FinalEventID = m["final"]
	st.Sink = m["sink"]
	return st, true, nil
}

func unixMilli(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
