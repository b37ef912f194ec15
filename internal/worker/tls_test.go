package worker_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// A worker whose Redis speaks TLS only (redis.tls with the test CA) polls and
// delivers as usual, and a redis_stream sink reaches the same TLS server
// through a rediss:// url.
func TestWorkerOverTLSRedis(t *testing.T) {
	t.Parallel()
	certs := redistest.NewCerts(t)
	srv := redistest.StartTLS(t, certs, false)
	_, port, _ := net.SplitHostPort(srv.Addr)
	e := newEnv(t, sandbox.Options{})
	e.cfg.Redis = config.Redis{Addr: srv.Addr, TLS: config.RedisTLS{Enabled: true, CAFile: certs.CAFile}}
	streamRedis := &config.Redis{URL: config.Secret("rediss://localhost:" + port), TLS: config.RedisTLS{CAFile: certs.CAFile}}
	e.addSinks(t, "all", map[string]config.Sink{
		"stream": {Type: config.SinkTypeRedisStream, Stream: "kyc:tls", RetrySchedule: fastRetries, Redis: streamRedis},
		"all":    {Type: config.SinkTypeFanout, Targets: []string{"default", "stream"}},
	})
	rdb := redisconn.Open(e.cfg.Redis, 4)
	t.Cleanup(func() { _ = rdb.Close() })
	enq := tasks.NewEnqueuer(rdb, e.cfg)

	const n = 10
	for i := range n {
		e.sb.Advance.Register(fmt.Sprintf("tls-%02d", i), advancefake.Script{ReadyAfter: time.Duration(i%3) * 500 * time.Millisecond, Outcome: advancefake.OutcomePass})
	}
	e.startWorker(t, e.cfg)
	ctx := context.Background()
	for i := range n {
		if _, err := enq.Enqueue(ctx, tasks.Request{Ref: verification.Ref{Provider: verification.ProviderAdvance, ID: fmt.Sprintf("tls-%02d", i)}}); err != nil {
			t.Fatalf("enqueue over TLS: %v", err)
		}
	}
	waitDelivered(t, e, n, 60*time.Second)
	waitFor(t, 30*time.Second, func() bool { return rdb.XLen(ctx, "kyc:tls").Val() >= n })
	// The sandbox's plain Redis was never used.
	if keys := e.rdb.DBSize(ctx).Val(); keys != 0 {
		t.Errorf("plain Redis holds %d keys, want 0: everything went over TLS", keys)
	}
}
