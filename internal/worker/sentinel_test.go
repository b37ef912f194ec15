package worker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// A worker configured with redis.sentinel carries on through a failover:
// the master is SIGKILLed while verifications are being polled, the
// sentinels promote the replica, and every verification is still delivered,
// once per event id, with its status, some of them only after the
// failover.
func TestSentinelFailoverLosesNothing(t *testing.T) {
	t.Parallel()
	g := redistest.StartSentinel(t, 3)
	e := newEnv(t, sandbox.Options{Advance: advancefake.Options{Latency: 100 * time.Millisecond}})
	cfg := *e.cfg
	cfg.Redis = config.Redis{Sentinel: config.RedisSentinel{MasterName: g.MasterName, Addrs: g.SentinelAddrs()}}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("sentinel configuration: %v", err)
	}
	rdb := redisconn.Open(cfg.Redis, 10)
	t.Cleanup(func() { _ = rdb.Close() })
	enq := tasks.NewEnqueuer(rdb, &cfg)

	rng := rand.New(rand.NewPCG(13, 17))
	want := map[string]verification.Status{}
	for i := range 60 {
		id := fmt.Sprintf("sentinel-%02d", i)
		o, s := advancefake.OutcomePass, verification.StatusPass
		if rng.IntN(3) == 0 {
			o, s = advancefake.OutcomeFail, verification.StatusFail
		}
		e.sb.Advance.Register(id, advancefake.Script{ReadyAfter: time.Duration(rng.Int64N(int64(10 * time.Second))), Outcome: o})
		want[id] = s
	}
	e.startWorker(t, &cfg)
	ctx := context.Background()
	for id := range want {
		if _, err := enq.Enqueue(ctx, tasks.Request{Ref: verification.Ref{Provider: verification.ProviderAdvance, ID: id}}); err != nil {
			t.Fatalf("enqueue %s: %v", id, err)
		}
	}
	// Replication is asynchronous: make sure the replica holds every task
	// before the crash, as a real deployment would after a moment.
	if n, err := rdb.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n < 1 {
		t.Fatalf("WAIT for the replica = %d, %v", n, err)
	}
	time.Sleep(2 * time.Second)
	before := len(e.sb.Receiver.EventIDs())
	old := g.Master.Addr
	g.Master.Kill()
	failCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	now, err := g.WaitFailover(failCtx, old)
	if err != nil {
		t.Fatal(err)
	}
	if now != g.Replica.Addr {
		t.Fatalf("new master %s, want the replica %s", now, g.Replica.Addr)
	}
	t.Logf("master %s killed with %d of %d delivered; sentinels promoted %s", old, before, len(want), now)

	waitDelivered(t, e, len(want), 3*time.Minute)
	if before >= len(want) {
		t.Fatalf("every verification was delivered before the failover: the test proves nothing")
	}
	byV := e.sb.Receiver.ByVerification()
	for id, status := range want {
		ids := map[string]bool{}
		for _, d := range byV["advance/"+id] {
			ids[d.EventID] = true
			if d.Event.Data.Status != status {
				t.Errorf("%s: status %s, want %s", id, d.Event.Data.Status, status)
			}
		}
		if len(ids) != 1 {
			t.Errorf("%s: %d distinct event ids, want 1", id, len(ids))
		}
	}
	// The worker's own connection follows the new master.
	if role, err := rdb.Do(ctx, "ROLE").Slice(); err != nil || len(role) == 0 || role[0] != "master" {
		t.Errorf("ROLE through the sentinel client = %v, %v; want master", role, err)
	}
}
