package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/asynqfix"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

const (
	pollQueue    = "kyc_poll"
	deliverQueue = "kyc_delivery"
	// personal is a value that must never reach the dashboard: seeded
	// payloads carry it in fields kycpoller does not define.
	personal = "Jane Q. Public"
)

// seeded is a Redis holding kycpoller tasks in every asynq state.
type seeded struct {
	rdb *redis.Client
	ins *asynq.Inspector
	// ids by state: "pending", "active", "scheduled", "retry", "archived",
	// "completed", "aggregating", "deliver", "other".
	ids map[string]string
	// enqueuedAt is the poll payloads' enqueue time.
	enqueuedAt time.Time
}

// pollPayload is a real poll payload plus a field a payload must never
// show, standing in for anything unexpected that reaches Redis.
func pollPayload(id string, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"provider": "advance", "id": id, "sink": "default",
		"enqueued_at_ms": at.UnixMilli(), "full_name": personal,
	})
	return b
}

// seed fills a private Redis with tasks in every state, the way the worker
// leaves them: polls that are not ready are retries, a failed delivery is
// archived, a finished poll is completed. One worker slot stays busy, so
// that an active task exists and pending ones stay pending.
func seed(t *testing.T) *seeded {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redistest.Client(t, srv)
	rdb.AddHook(asynqfix.Hook{}) // as worker.New does
	s := &seeded{rdb: rdb, ins: asynq.NewInspectorFromRedisClient(rdb), ids: map[string]string{},
		enqueuedAt: time.Date(2026, 11, 22, 10, 14, 41, 120e6, time.UTC)}
	client := asynq.NewClientFromRedisClient(rdb)

	release := make(chan struct{})
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks.TypePoll, func(ctx context.Context, task *asynq.Task) error {
		var p tasks.PollPayload
		if err := json.Unmarshal(task.Payload(), &p); err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(p.ID, "retry-"):
			return errors.New("result not final yet")
		case strings.HasPrefix(p.ID, "archive-"):
			return fmt.Errorf("provider said no: %w", asynq.SkipRetry)
		case strings.HasPrefix(p.ID, "active-"):
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil
	})
	server := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              1,
		Queues:                   map[string]int{pollQueue: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return time.Hour },
		JanitorInterval:          time.Hour, // completed tasks stay until the test removes them
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		TaskCheckInterval:        10 * time.Millisecond,
		ShutdownTimeout:          time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	if err := server.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(release)
		server.Shutdown()
		_ = client.Close()
	})

	enqueue := func(state, queue string, task *asynq.Task, opts ...asynq.Option) {
		t.Helper()
		info, err := client.Enqueue(task, append(opts, asynq.Queue(queue))...)
		if err != nil {
			t.Fatalf("enqueue %s: %v", state, err)
		}
		s.ids[state] = info.ID
	}
	poll := func(state, id string, opts ...asynq.Option) {
		t.Helper()
		enqueue(state, pollQueue, asynq.NewTask(tasks.TypePoll, pollPayload(id, s.enqueuedAt)),
			append(opts, asynq.TaskID(tasks.PollTaskID("advance", id)), asynq.MaxRetry(25))...)
	}
	// Processed first, one at a time, while the slot is free.
	poll("retry", "retry-alice")
	s.waitState(t, pollQueue, "retry", asynq.TaskStateRetry)
	poll("archived", "archive-bob")
	s.waitState(t, pollQueue, "archived", asynq.TaskStateArchived)
	poll("completed", "done-carol", asynq.Retention(time.Hour))
	s.waitState(t, pollQueue, "completed", asynq.TaskStateCompleted)
	poll("active", "active-dave")
	s.waitState(t, pollQueue, "active", asynq.TaskStateActive)
	// The slot is now busy: these stay where they are put.
	poll("pending", "pending-erin")
	poll("scheduled", "scheduled-frank", asynq.ProcessIn(time.Hour))
	poll("aggregating", "grouped-grace", asynq.Group("batch"))
	deliver, _ := json.Marshal(tasks.DeliverPayload{EventID: "evt_0123456789abcdef", Sink: "default", Provider: "advance", VerificationID: "done-carol"})
	enqueue("deliver", deliverQueue, asynq.NewTask(tasks.TypeDeliver, deliver), asynq.TaskID(tasks.DeliverTaskID("default", "evt_0123456789abcdef")))
	enqueue("other", deliverQueue, asynq.NewTask("other:type", []byte(`{"name":"`+personal+`"}`)))
	return s
}

func (s *seeded) waitState(t *testing.T, queue, state string, want asynq.TaskState) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := s.ins.GetTaskInfo(queue, s.ids[state])
		if err == nil && info.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s did not reach state %s (last: %v, %v)", state, want, info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expireCompleted makes the completed task's retention run out, as it does
// worker.retention after completion: Redis drops the task's hash while its
// id stays in the completed set until asynq's janitor next runs (every 8 s
// by default, and never when no worker is running).
func (s *seeded) expireCompleted(t *testing.T) {
	t.Helper()
	key := "asynq:{" + pollQueue + "}:t:" + s.ids["completed"]
	if err := s.rdb.PExpire(context.Background(), key, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	for s.rdb.Exists(context.Background(), key).Val() != 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if n := s.rdb.ZCard(context.Background(), "asynq:{"+pollQueue+"}:completed").Val(); n != 1 {
		t.Fatalf("completed set holds %d ids, want the expired task's id", n)
	}
}
