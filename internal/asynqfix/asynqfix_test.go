package asynqfix_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/asynqfix"
	"github.com/kycpoller/kycpoller/internal/redistest"
)

// danglingQueue leaves a queue with tasks in several states plus a
// completed task whose key has expired while its id is still listed, and
// returns the queue's name.
func danglingQueue(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	const q = "kyc_poll"
	ctx := context.Background()
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = client.Close() })
	for i, opts := range [][]asynq.Option{
		{},                               // pending
		{asynq.ProcessIn(time.Hour)},     // scheduled
		{asynq.Group("batch")},           // aggregating
		{asynq.ProcessIn(2 * time.Hour)}, // scheduled, becomes the dangling completed id
	} {
		info, err := client.Enqueue(asynq.NewTask("kyc:poll", []byte(`{}`)), append(opts, asynq.Queue(q))...)
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			// What asynq does when a task completes with retention, then
			// what Redis does when the retention runs out.
			must(t, rdb.ZRem(ctx, "asynq:{"+q+"}:scheduled", info.ID).Err())
			must(t, rdb.ZAdd(ctx, "asynq:{"+q+"}:completed", redis.Z{Score: float64(time.Now().Unix()), Member: info.ID}).Err())
			must(t, rdb.Del(ctx, "asynq:{"+q+"}:t:"+info.ID).Err())
		}
	}
	return q
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestHookFixesQueueInfo(t *testing.T) {
	t.Parallel()
	rdb := redistest.Client(t, redistest.Start(t))
	q := danglingQueue(t, rdb)
	rdb.AddHook(asynqfix.Hook{})
	ins := asynq.NewInspectorFromRedisClient(rdb)
	for i := range 2 { // the second call runs the script from Redis' cache
		info, err := ins.GetQueueInfo(q)
		if err != nil {
			t.Fatalf("GetQueueInfo call %d: %v", i+1, err)
		}
		if info.Pending != 1 || info.Scheduled != 1 || info.Aggregating != 1 || info.Completed != 1 || info.MemoryUsage <= 0 {
			t.Errorf("GetQueueInfo = %+v", info)
		}
	}
	// Other scripts and commands pass through.
	if _, err := ins.ListScheduledTasks(q); err != nil {
		t.Errorf("ListScheduledTasks: %v", err)
	}
}

// TestUpstreamScriptStillBroken documents why the hook exists. When it
// fails, the pinned asynq has the fix: remove package asynqfix.
func TestUpstreamScriptStillBroken(t *testing.T) {
	t.Parallel()
	rdb := redistest.Client(t, redistest.Start(t))
	q := danglingQueue(t, rdb)
	_, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo(q)
	if err == nil {
		t.Fatal("GetQueueInfo works without the hook: asynq is fixed, remove package asynqfix")
	}
	if !strings.Contains(err.Error(), asynqfix.BrokenMemoryUsageSHA) || !strings.Contains(err.Error(), "boolean") {
		t.Errorf("unexpected error, did asynq's script change? %v", err)
	}
}
