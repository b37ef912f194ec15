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

// Open returns a client for cfg. poolSize should cover the worker's
// concurrency: every in-flight task may hold a connection for a moment.
func Open(cfg config.Redis, poolSize int) redis.UniversalClient {
	return redis.NewClient(&redis.Options{
		Addr:         cfg.Addr,
		Username:     cfg.Username,
		Password:     string(cfg.Password),
		DB:           cfg.DB,
		DialTimeout:  cfg.DialTimeout,
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		PoolSize:     poolSize,
	})
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
