package tasks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/sink"
	"github.com/kycpoller/kycpoller/internal/store"
)

// Deliverer sends an event to one sink.
type Deliverer interface {
	Deliver(ctx context.Context, ev *event.Event) error
}

// Delivery outcomes, as logged under the "outcome" key.
const (
	OutcomeDelivered    = "delivered"
	OutcomeRetry        = "retry"
	OutcomeDeadLettered = "dead_lettered"
)

// DeliverHandler runs delivery tasks.
type DeliverHandler struct {
	sinks     map[string]Deliverer
	schedules map[string][]time.Duration
	jitter    float64
	store     *store.Store
	metrics   Metrics
	log       *zap.Logger
}

// ProcessTask implements asynq.Handler.
func (h *DeliverHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p DeliverPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	n, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	log := h.log.With(
		zap.String("provider", p.Provider),
		zap.String("verification_id", p.VerificationID),
		zap.String("event_id", p.EventID),
		zap.String("sink", p.Sink),
		zap.Int("attempt", n+1))

	d, ok := h.sinks[p.Sink]
	if !ok {
		err := fmt.Errorf("deliver %s: sink %q is not configured in this worker", p.EventID, p.Sink)
		return h.failed(log, p, n, maxRetry, 0, err)
	}
	ev, err := h.store.Event(ctx, p.EventID)
	if errors.Is(err, store.ErrEventNotFound) {
		log.Error("event expired before it could be delivered", zap.String("outcome", OutcomeDeadLettered))
		h.metrics.DeliveryDone(p.Sink, OutcomeDeadLettered)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	err = d.Deliver(ctx, ev)
	switch {
	case err == nil:
		log.Info("event delivered", zap.String("outcome", OutcomeDelivered), zap.String("status", string(ev.Data.Status)))
		h.metrics.DeliveryDone(p.Sink, OutcomeDelivered)
		return nil
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ctx.Err() // shutting down: asynq puts the task back
	case sink.IsPermanent(err):
		log.Error("delivery refused for good; dead-lettered", zap.String("outcome", OutcomeDeadLettered), zap.Error(err))
		h.metrics.DeliveryDone(p.Sink, OutcomeDeadLettered)
		return fmt.Errorf("deliver %s to %s: %w: %w", p.EventID, p.Sink, err, asynq.SkipRetry)
	}
	return h.failed(log, p, n, maxRetry, sink.RetryAfter(err), fmt.Errorf("deliver %s to %s: %w", p.EventID, p.Sink, err))
}

// failed logs a failed attempt and schedules the next one, or reports the
// delivery dead-lettered when the schedule is exhausted (asynq archives it).
func (h *DeliverHandler) failed(log *zap.Logger, p DeliverPayload, n, maxRetry int, hint time.Duration, err error) error {
	if n >= maxRetry {
		log.Error("delivery failed on its last attempt; dead-lettered", zap.String("outcome", OutcomeDeadLettered), zap.Error(err))
		h.metrics.DeliveryDone(p.Sink, OutcomeDeadLettered)
		return err
	}
	d := max(scheduleDelay(h.schedules[p.Sink], n, h.jitter), hint)
	h.metrics.DeliveryDone(p.Sink, OutcomeRetry)
	log.Warn("delivery failed", zap.String("outcome", OutcomeRetry), zap.Duration("next_in", d), zap.Error(err))
	return retryAfter(d, err)
}
