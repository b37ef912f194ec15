// Package redistest gives each test its own redis-server, started on a free
// loopback port and stopped when the test ends, so tests never share state
// and can run in parallel.
package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/localredis"
)

// Start launches a private redis-server for tb and returns it. It fails the
// test (it does not skip) when redis-server is missing: `make test` installs
// it, and a test that silently skips proves nothing.
func Start(tb testing.TB, opts ...localredis.Options) *localredis.Server {
	tb.Helper()
	var o localredis.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := localredis.Start(ctx, o)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(srv.Stop)
	return srv
}

// Client returns a go-redis client for srv, closed when the test ends.
func Client(tb testing.TB, srv *localredis.Server) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}
