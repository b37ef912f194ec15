package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/event"
)

// deliveryEnqueuer enqueues delivery tasks for stored events.
type deliveryEnqueuer struct {
	client    *asynq.Client
	inspector *asynq.Inspector
	queue     string
	retention time.Duration
	cfg       *config.Config
}

// enqueue enqueues one delivery of ev per target of sink (the sink itself,
// or the targets of a fanout). It is idempotent: each task id is derived
// from the target and the event id, so a re-run after a crash finds the
// tasks already there.
func (d *deliveryEnqueuer) enqueue(ctx context.Context, ev *event.Event, sink string) error {
	for _, target := range d.cfg.Targets(sink) {
		if err := d.enqueueTarget(ctx, ev, target, DeliverTaskID(target, ev.ID)); err != nil {
			return err
		}
	}
	return nil
}

// enqueueTarget enqueues the delivery of ev to one target under taskID.
func (d *deliveryEnqueuer) enqueueTarget(ctx context.Context, ev *event.Event, sink, taskID string) error {
	sc, ok := d.cfg.Sinks[sink]
	if !ok {
		return fmt.Errorf("enqueue delivery of %s: sink %q is not configured", ev.ID, sink)
	}
	payload, err := json.Marshal(DeliverPayload{
		EventID:        ev.ID,
		Sink:           sink,
		Provider:       ev.Data.Provider,
		VerificationID: ev.Data.VerificationID,
	})
	if err != nil {
		return fmt.Errorf("encode delivery payload: %w", err)
	}
	_, err = enqueueUnique(ctx, d.client, d.inspector, d.queue, taskID, asynq.NewTask(TypeDeliver, payload),
		asynq.MaxRetry(len(sc.RetrySchedule)),
		asynq.Timeout(sc.Timeout+10*time.Second),
		asynq.Retention(d.retention),
	)
	if err != nil {
		return fmt.Errorf("enqueue delivery of %s to %s: %w", ev.ID, sink, err)
	}
	return nil
}
