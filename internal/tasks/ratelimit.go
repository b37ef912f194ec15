package tasks

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// ProviderLimiter bounds provider calls across every worker process.
type ProviderLimiter interface {
	// Reserve asks to call provider. hold and retry 0: go now. hold > 0:
	// the call is booked for after hold (a short wait). retry > 0: nothing
	// is booked and the call must not be made before retry.
	Reserve(ctx context.Context, provider string) (hold, retry time.Duration, err error)
	// Throttled reports that provider answered "slow down", so that every
	// process leaves it alone for a while (retryAfter, when the provider
	// said).
	Throttled(ctx context.Context, provider string, retryAfter time.Duration) error
}

// OutcomeRateLimited is the poll outcome of a poll put off by the provider's
// rate limit or a throttling pause: it did not call the provider.
const OutcomeRateLimited = "rate_limited"

// errRateLimited is the error of a put-off poll. Like errNotReady, it is not
// a failure.
var errRateLimited = errors.New("provider rate limit: poll put off")

// rateLimitSpread spreads the polls put off at the same moment over this
// much time, so that they do not all come back in the same second.
const rateLimitSpread = time.Second

// waitForRate returns a reschedule error when ref's provider may not be
// called now, nil when the poll may go on.
func (h *PollHandler) waitForRate(ctx context.Context, log *zap.Logger, ref verification.Ref) error {
	if h.limiter == nil {
		return nil
	}
	hold, wait, err := h.limiter.Reserve(ctx, ref.Provider)
	if err != nil {
		return err
	}
	if hold > 0 {
		t := time.NewTimer(hold)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	if wait <= 0 {
		return nil
	}
	d := wait + rand.N(rateLimitSpread)
	log.Debug("poll put off by the provider rate limit", zap.String("outcome", OutcomeRateLimited), zap.Duration("next_in", d))
	h.metrics.PollDone(ref.Provider, OutcomeRateLimited)
	return &rescheduleError{after: d, failure: false, err: errRateLimited}
}

// throttled spreads a provider's "slow down" to every process.
func (h *PollHandler) throttled(ctx context.Context, log *zap.Logger, provider string, checkErr error) {
	var te *verification.TransientError
	if h.limiter == nil || !errors.As(checkErr, &te) || !te.Throttled {
		return
	}
	if err := h.limiter.Throttled(ctx, provider, te.RetryAfter); err != nil {
		log.Warn("could not pause the provider for every worker", zap.Error(err))
	}
}
