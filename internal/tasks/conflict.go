package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
)

// enqueueUnique enqueues t under its task id. A conflict with a live or
// completed task is a duplicate (dup is true). A conflict with an archived
// task (a dead letter) is not: the archived task is deleted and t enqueued in
// its place, so enqueueing a reference again revives it instead of reporting
// a duplicate of something nothing will ever run.
func enqueueUnique(ctx context.Context, client *asynq.Client, ins *asynq.Inspector, queue, id string, t *asynq.Task, opts ...asynq.Option) (dup bool, err error) {
	opts = append(opts, asynq.TaskID(id), asynq.Queue(queue))
	for attempt := 0; attempt < 2; attempt++ {
		_, err = client.EnqueueContext(ctx, t, opts...)
		if !errors.Is(err, asynq.ErrTaskIDConflict) {
			return false, err
		}
		info, ierr := ins.GetTaskInfo(queue, id)
		switch {
		case errors.Is(ierr, asynq.ErrTaskNotFound):
			continue // gone in between (retention ended): try again
		case ierr != nil:
			return false, fmt.Errorf("inspect conflicting task %s: %w", id, ierr)
		case info.State != asynq.TaskStateArchived:
			return true, nil
		}
		if derr := ins.DeleteTask(queue, id); derr != nil && !errors.Is(derr, asynq.ErrTaskNotFound) {
			return false, fmt.Errorf("replace archived task %s: %w", id, derr)
		}
	}
	return false, err
}
