package tasks

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/redistest"
)

// A conflict with a live task is a duplicate; with an archived one (a dead
// letter) the task is replaced, so enqueueing again revives it.
func TestEnqueueUniqueRevivesArchivedTasks(t *testing.T) {
	t.Parallel()
	rdb := redistest.Client(t, redistest.Start(t))
	client := asynq.NewClientFromRedisClient(rdb)
	ins := asynq.NewInspectorFromRedisClient(rdb)
	ctx := context.Background()
	task := asynq.NewTask(TypePoll, []byte(`{}`))

	dup, err := enqueueUnique(ctx, client, ins, "q", "id-1", task)
	if err != nil || dup {
		t.Fatalf("first enqueue: dup=%v err=%v", dup, err)
	}
	dup, err = enqueueUnique(ctx, client, ins, "q", "id-1", task)
	if err != nil || !dup {
		t.Fatalf("second enqueue: dup=%v err=%v, want a duplicate", dup, err)
	}
	if err := ins.ArchiveTask("q", "id-1"); err != nil {
		t.Fatal(err)
	}
	dup, err = enqueueUnique(ctx, client, ins, "q", "id-1", task)
	if err != nil || dup {
		t.Fatalf("enqueue over an archived task: dup=%v err=%v, want it replaced", dup, err)
	}
	info, err := ins.GetTaskInfo("q", "id-1")
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("task after revival: %v, %v; want pending", info, err)
	}
}
