package tasks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/poller"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Checker asks one provider for a verification's result.
type Checker interface {
	Check(ctx context.Context, ref verification.Ref) (verification.Result, error)
}

// Poll outcomes, as logged under the "outcome" key.
const (
	OutcomeNotReady       = "not_ready"
	OutcomeFinal          = "final"
	OutcomeTransientError = "transient_error"
	OutcomeConfigError    = "config_error"
	OutcomeAlreadyFinal   = "already_final"
)

// PollHandler runs poll tasks.
type PollHandler struct {
	checkers   map[string]Checker
	store      *store.Store
	deliveries *deliveryEnqueuer
	schedule   poller.Schedule
	metrics    Metrics
	limiter    ProviderLimiter
	log        *zap.Logger
	now        func() time.Time

	// configErrLog limits "provider configuration error" lines to one per
	// provider and code per interval, so an outage is loud but not a flood.
	configErrMu   sync.Mutex
	configErrLast map[string]time.Time
}

// configErrLogInterval is how often a persisting configuration error is
// logged at error level.
const configErrLogInterval = time.Minute

// ProcessTask implements asynq.Handler.
func (h *PollHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p PollPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	ref := p.Ref()
	log := h.log.With(zap.String("provider", ref.Provider), zap.String("verification_id", ref.ID))
	now := h.now()
	checker, ok := h.checkers[ref.Provider]
	if !ok {
		// The provider was configured when this was enqueued and is not now.
		// Keep the task until its deadline (an operator may restore the
		// config) and say so.
		if age := now.Sub(p.EnqueuedAt()); h.schedule.Expired(age) {
			res := verification.Result{Final: true, Status: verification.StatusTimeout, ErrorCode: "provider_not_configured"}
			return h.finish(ctx, log, p, res, 0)
		}
		err := fmt.Errorf("poll %s: provider %q is not configured in this worker", ref, ref.Provider)
		log.Error("provider not configured", zap.String("outcome", OutcomeConfigError))
		return retryAfter(h.schedule.MaxInterval, err)
	}

	if err := h.waitForRate(ctx, log, ref); err != nil {
		return err
	}
	ps, err := h.store.BeginPoll(ctx, ref, p.EnqueuedAt(), now)
	if err != nil {
		return err
	}
	if ps.FinalEventID != "" {
		// A previous run found the final result and stored it but did not
		// finish (crash, lost lease): deliver what is known, ask nobody.
		log.Info("final result already recorded", zap.String("outcome", OutcomeAlreadyFinal), zap.String("event_id", ps.FinalEventID))
		h.metrics.PollDone(ref.Provider, OutcomeAlreadyFinal)
		return h.deliverRecorded(ctx, ps.FinalEventID, p.Sink)
	}

	if ps.Polls == 1 {
		// The worker's first sight of this enqueue: the one info line of
		// the "enqueued" state; later polls are logged at debug.
		log.Info("polling started", zap.String("outcome", "enqueued"), zap.String("sink", p.Sink),
			zap.Time("enqueued_at", p.EnqueuedAt()))
	}
	checkCtx, cancel := withMargin(ctx)
	checkStart := h.now()
	res, checkErr := checker.Check(checkCtx, ref)
	cancel()
	h.metrics.CheckDone(ref.Provider, h.now().Sub(checkStart))
	age := h.now().Sub(p.EnqueuedAt())
	if checkErr == nil && ps.ConsecutiveErrors > 0 {
		if err := h.store.PollAnswered(ctx, ref); err != nil {
			return err
		}
	}
	attempt := zap.Int("attempt", ps.Polls)
	switch {
	case checkErr == nil && res.Final:
		return h.finish(ctx, log, p, res, ps.Polls)

	case checkErr == nil:
		if h.schedule.Expired(age) {
			return h.finish(ctx, log, p, verification.Result{Final: true, Status: verification.StatusTimeout}, ps.Polls)
		}
		d := h.schedule.NotReadyDelay(age, rand.New(rand.NewPCG(uint64(now.UnixNano()), uint64(ps.Polls))))
		d = h.nudgedDelay(ctx, ref, d)
		log.Debug("poll", attempt, zap.String("outcome", OutcomeNotReady), zap.Duration("next_in", d))
		h.metrics.PollDone(ref.Provider, OutcomeNotReady)
		return notReady(d)

	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		// Shutting down: asynq puts the task back untouched.
		return ctx.Err()
	}

	// A provider error. Never a final result, except at the deadline.
	if h.schedule.Expired(age) {
		res := verification.Result{Final: true, Status: verification.StatusTimeout, ErrorCode: verification.ErrorCode(checkErr)}
		return h.finish(ctx, log, p, res, ps.Polls)
	}
	h.throttled(ctx, log, ref.Provider, checkErr)
	if err := h.store.PollFailed(ctx, ref); err != nil {
		return err
	}
	var te *verification.TransientError
	var retryHint time.Duration
	if errors.As(checkErr, &te) {
		retryHint = te.RetryAfter
	}
	d := h.schedule.ErrorDelay(age, ps.ConsecutiveErrors, retryHint, nil)
	code := zap.String("provider_code", verification.ErrorCode(checkErr))
	var ce *verification.ConfigError
	if errors.As(checkErr, &ce) {
		h.metrics.PollDone(ref.Provider, OutcomeConfigError)
		if h.shouldLogConfigErr(ref.Provider + "/" + ce.Code) {
			log.Error("provider configuration error: verification kept and retried until its deadline; fix the provider credentials or account",
				attempt, zap.String("outcome", OutcomeConfigError), code, zap.Error(checkErr))
		}
	} else {
		h.metrics.PollDone(ref.Provider, OutcomeTransientError)
		log.Warn("poll failed", attempt, zap.String("outcome", OutcomeTransientError), code, zap.Duration("next_in", d), zap.Error(checkErr))
	}
	return retryAfter(d, fmt.Errorf("poll %s: %w", ref, checkErr))
}

// checkMargin is kept between the end of a provider check and the task's
// deadline, so that the handler always has time to record what it found
// before asynq gives up on the attempt.
const checkMargin = 5 * time.Second

// withMargin returns ctx with a deadline checkMargin (or a tenth of the time
// left, if less) before ctx's own.
func withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(checkMargin, time.Until(dl)/10)
	return context.WithDeadline(ctx, dl.Add(-margin))
}

// finish records a final result and enqueues its delivery.
func (h *PollHandler) finish(ctx context.Context, log *zap.Logger, p PollPayload, res verification.Result, polls int) error {
	ev := event.New(p.Ref(), res, polls, p.EnqueuedAt(), h.now())
	if err := h.store.RecordFinal(ctx, ev, p.Sink); err != nil {
		return err
	}
	if err := h.deliveries.enqueue(ctx, ev, p.Sink); err != nil {
		return err
	}
	h.metrics.PollDone(p.Provider, OutcomeFinal)
	h.metrics.Finalized(p.Provider, string(res.Status), ev.Data.CompletedAt.Sub(ev.Data.EnqueuedAt))
	log.Info("verification final",
		zap.String("outcome", OutcomeFinal),
		zap.String("status", string(res.Status)),
		zap.String("event_id", ev.ID),
		zap.String("sink", p.Sink),
		zap.Int("polls", polls),
		zap.Duration("age", ev.Data.CompletedAt.Sub(ev.Data.EnqueuedAt)))
	return nil
}

// deliverRecorded enqueues the delivery of an event stored by an earlier run.
func (h *PollHandler) deliverRecorded(ctx context.Context, eventID, sink string) error {
	ev, err := h.store.Event(ctx, eventID)
	if err != nil {
		return err
	}
	return h.deliveries.enqueue(ctx, ev, sink)
}

func (h *PollHandler) shouldLogConfigErr(key string) bool {
	h.configErrMu.Lock()
	defer h.configErrMu.Unlock()
	now := h.now()
	if last, ok := h.configErrLast[key]; ok && now.Sub(last) < configErrLogInterval {
		return false
	}
	if h.configErrLast == nil {
		h.configErrLast = make(map[string]time.Time)
	}
	h.configErrLast[key] = now
	return true
}
