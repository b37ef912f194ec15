package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
)

// Cancel stops polling the verification (provider, id): its poll task is
// deleted, so it is never polled again and no event is produced; enqueueing
// it again later starts afresh. A verification with a final result is not
// touched (ErrFinal): its event and deliveries stay as they are. A poll
// running right now cannot be cancelled (ErrPollRunning). An unknown
// verification returns an error wrapping ErrNotFound.
func (c *Controller) Cancel(ctx context.Context, provider, id string) error {
	l, err := c.lookup(ctx, provider, id)
	if err != nil {
		return err
	}
	if (l.hasState && l.state.FinalEventID != "") || l.task.State == asynq.TaskStateCompleted {
		return fmt.Errorf("cancel %s: %w", l.ref, ErrFinal)
	}
	if l.task.State == asynq.TaskStateActive {
		return fmt.Errorf("cancel %s: %w", l.ref, ErrPollRunning)
	}
	err = c.inspector.DeleteTask(c.cfg.Worker.Queues.Poll.Name, l.task.ID)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound):
		return fmt.Errorf("cancel %s: %w", l.ref, ErrNotFound)
	case err != nil:
		// The task became active (or completed) in between.
		if ti, ierr := c.inspector.GetTaskInfo(c.cfg.Worker.Queues.Poll.Name, l.task.ID); ierr == nil && ti.State == asynq.TaskStateActive {
			return fmt.Errorf("cancel %s: %w", l.ref, ErrPollRunning)
		}
		return fmt.Errorf("cancel %s: %w", l.ref, err)
	}
	return nil
}
