package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// Nudged says what a Nudge did.
type Nudged string

// Nudge outcomes.
const (
	// NudgedNow: the scheduled poll was moved to run now.
	NudgedNow Nudged = "nudged"
	// NudgedAlreadyDue: the poll was already due or running; a running
	// poll that finds the result not final yet polls again soon.
	NudgedAlreadyDue Nudged = "already_due"
)

// nudgeMarkTTL bounds how long a nudge given during a running poll is
// remembered: longer than any poll attempt's provider call.
const nudgeMarkTTL = 10 * time.Minute

// Nudge makes the verification's next poll happen now, for instance when a
// provider's callback or the merchant's page says the user finished. It
// never takes anything as the result: the poll asks the provider. A
// verification with a final result returns ErrFinal; an unknown one an
// error wrapping ErrNotFound.
func (c *Controller) Nudge(ctx context.Context, provider, id string) (Nudged, error) {
	l, err := c.lookup(ctx, provider, id)
	if err != nil {
		return "", err
	}
	if (l.hasState && l.state.FinalEventID != "") || l.task.State == asynq.TaskStateCompleted {
		return "", fmt.Errorf("nudge %s: %w", l.ref, ErrFinal)
	}
	switch l.task.State {
	case asynq.TaskStatePending:
		return NudgedAlreadyDue, nil
	case asynq.TaskStateActive:
		return NudgedAlreadyDue, c.store.MarkNudged(ctx, l.ref, nudgeMarkTTL)
	}
	err = c.inspector.RunTask(c.cfg.Worker.Queues.Poll.Name, l.task.ID)
	if err == nil {
		return NudgedNow, nil
	}
	// The task moved in between: look again once.
	ti, ierr := c.inspector.GetTaskInfo(c.cfg.Worker.Queues.Poll.Name, l.task.ID)
	switch {
	case errors.Is(ierr, asynq.ErrTaskNotFound):
		return "", fmt.Errorf("nudge %s: %w", l.ref, ErrNotFound)
	case ierr != nil:
		return "", fmt.Errorf("nudge %s: %w", l.ref, err)
	case ti.State == asynq.TaskStatePending:
		return NudgedAlreadyDue, nil
	case ti.State == asynq.TaskStateActive:
		return NudgedAlreadyDue, c.store.MarkNudged(ctx, l.ref, nudgeMarkTTL)
	case ti.State == asynq.TaskStateCompleted:
		return "", fmt.Errorf("nudge %s: %w", l.ref, ErrFinal)
	}
	return "", fmt.Errorf("nudge %s: %w", l.ref, err)
}

// nudgedPollDelay is the delay of the next poll when a nudge came while the
// poll was running.
const nudgedPollDelay = time.Second

// nudgedDelay shortens a not-ready delay when the verification was nudged
// while this poll was running: the nudge may have come after the provider
// answered.
func (h *PollHandler) nudgedDelay(ctx context.Context, ref verification.Ref, d time.Duration) time.Duration {
	nudged, err := h.store.TakeNudge(ctx, ref)
	if err != nil || !nudged {
		return d
	}
	return min(d, nudgedPollDelay)
}
