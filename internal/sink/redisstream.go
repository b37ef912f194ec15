package sink

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/event"
)

// Field names of a Redis stream entry.
const (
	RedisFieldID   = "id"   // the event id
	RedisFieldType = "type" // the event type
	RedisFieldData = "data" // the body made by the Encoder
)

// RedisStreamOptions configures a RedisStream.
type RedisStreamOptions struct {
	// Client is the Redis the stream lives in. It is the caller's: Close
	// does not close it.
	Client redis.UniversalClient
	// Stream is the stream's key.
	Stream string
	// MaxLen, when positive, trims the stream to about that many entries
	// on every add (XADD MAXLEN ~): Redis trims whole nodes only, so the
	// stream can hold a few dozen entries more. 0 keeps every entry.
	MaxLen int64
	// Encoder shapes the data field.
	Encoder Encoder
}

// RedisStream appends events to a Redis stream with XADD, one entry per
// delivery attempt, with the fields id, type and data.
//
// Delivery is at least once: an attempt whose reply was lost is repeated and
// adds a second entry with the same id. Consumers de-duplicate on the id
// field. It is safe for concurrent use.
type RedisStream struct {
	client  redis.UniversalClient
	stream  string
	maxLen  int64
	encoder Encoder
}

// NewRedisStream validates opts. Errors name the offending field.
func NewRedisStream(opts RedisStreamOptions) (*RedisStream, error) {
	if opts.Client == nil {
		return nil, errors.New("sink: redis stream Client: required")
	}
	if opts.Stream == "" {
		return nil, errors.New("sink: redis stream Stream: required")
	}
	if opts.MaxLen < 0 {
		return nil, errors.New("sink: redis stream MaxLen: must not be negative")
	}
	if err := opts.Encoder.Validate(); err != nil {
		return nil, fmt.Errorf("sink: redis stream Encoder: %w", err)
	}
	return &RedisStream{client: opts.Client, stream: opts.Stream, maxLen: opts.MaxLen, encoder: opts.Encoder}, nil
}

// Deliver adds ev to the stream. Redis errors are *RetryableError; an event
// that cannot be encoded is a *PermanentError.
func (r *RedisStream) Deliver(ctx context.Context, ev *event.Event) error {
	body, _, err := encodeEvent(r.encoder, ev)
	if err != nil {
		return err
	}
	err = r.client.XAdd(ctx, &redis.XAddArgs{
		Stream: r.stream,
		MaxLen: r.maxLen,
		Approx: r.maxLen > 0,
		Values: []any{RedisFieldID, ev.ID, RedisFieldType, ev.Type, RedisFieldData, body},
	}).Err()
	if err != nil {
		return &RetryableError{Err: fmt.Errorf("XADD to redis stream %q: %w", r.stream, err)}
	}
	return nil
}

// Close does nothing: the client belongs to the caller.
func (r *RedisStream) Close() error { return nil }
