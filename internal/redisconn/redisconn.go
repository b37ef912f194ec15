// Package redisconn opens the Redis connection shared by asynq, the token
// cache and the event store.
package redisconn

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
)

// Open returns a client for cfg's topology (see New). poolSize should cover
// the worker's concurrency: every in-flight task may hold a connection for a
// moment.
//
// A configuration New rejects (an unreadable TLS file, say) gives a client
// whose every command fails with that error, so that callers report it at
// their first PING like any other connection problem.
func Open(cfg config.Redis, poolSize int) redis.UniversalClient {
	rdb, err := New(cfg, poolSize)
	if err != nil {
		return failing(err)
	}
	return rdb
}

// Ping checks that Redis answers within timeout.
func Ping(ctx context.Context, rdb redis.UniversalClient, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis unreachable: %w", err)
	}
	return nil
}
