package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/poller"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Request asks for one verification to be polled and its result delivered to
// Sink ("" means the default sink).
type Request struct {
	verification.Ref
	Sink string `json:"sink,omitempty"`
}

// Outcome is the result of an enqueue.
type Outcome string

// Enqueue outcomes. A duplicate is a success: the reference is already
// being polled, or was completed within the retention window.
const (
	Queued    Outcome = "queued"
	Duplicate Outcome = "duplicate"
)

// Enqueuer validates requests and enqueues poll tasks. Every enqueue path
// (CLI, HTTP API, Go package) goes through it, so they share one set of rules.
type Enqueuer struct {
	client      *asynq.Client
	inspector   *asynq.Inspector
	queue       string
	retention   time.Duration
	firstDelay  time.Duration
	timeout     time.Duration
	maxRetry    int
	providers   func(string) bool
	sinks       []string
	defaultSink string
	now         func() time.Time
}

// NewEnqueuer returns an Enqueuer for cfg that enqueues through rdb. It
// does not close rdb.
func NewEnqueuer(rdb redis.UniversalClient, cfg *config.Config) *Enqueuer {
	return &Enqueuer{
		client:      asynq.NewClientFromRedisClient(rdb),
		inspector:   asynq.NewInspectorFromRedisClient(rdb),
		queue:       cfg.Worker.Queues.Poll.Name,
		retention:   cfg.Worker.Retention,
		firstDelay:  cfg.Polling.FirstDelay,
		timeout:     cfg.Polling.AttemptTimeout,
		maxRetry:    pollMaxRetry(ScheduleFromConfig(cfg.Polling)),
		providers:   cfg.ProviderConfigured,
		sinks:       cfg.SinkNames(),
		defaultSink: cfg.DefaultSink,
		now:         time.Now,
	}
}

// ScheduleFromConfig converts the polling section into a Schedule.
func ScheduleFromConfig(p config.Polling) poller.Schedule {
	return poller.Schedule{
		FirstDelay:           p.FirstDelay,
		InitialInterval:      p.InitialInterval,
		MaxInterval:          p.MaxInterval,
		Multiplier:           p.Multiplier,
		Jitter:               p.Jitter,
		MaxAge:               p.MaxAge,
		ErrorInitialInterval: p.ErrorInitialInterval,
	}
}

// pollMaxRetry is the retry limit of poll tasks. Only failed polls (provider
// errors) count against it, and a verification ends by its deadline, not by
// this limit: it is set high enough that the deadline always comes first.
func pollMaxRetry(s poller.Schedule) int {
	n := int(s.MaxAge/s.ErrorInitialInterval) + 10
	return min(max(n, 25), 100_000)
}

// Normalize fills the default sink and validates r. The error joins one
// *verification.FieldError per problem.
func (e *Enqueuer) Normalize(r Request) (Request, error) {
	err := r.Ref.Validate(e.providers)
	if r.Sink == "" {
		r.Sink = e.defaultSink
	}
	if !slices.Contains(e.sinks, r.Sink) {
		err = errors.Join(err, &verification.FieldError{Field: "sink", Reason: fmt.Sprintf("unknown sink %q (configured: %v)", r.Sink, e.sinks)})
	}
	return r, err
}

// Enqueue validates r and enqueues its poll task. An invalid request returns
// the validation error and enqueues nothing.
func (e *Enqueuer) Enqueue(ctx context.Context, r Request) (Outcome, error) {
	r, err := e.Normalize(r)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(PollPayload{
		Provider:     r.Provider,
		ID:           r.ID,
		BizID:        r.BizID,
		Sink:         r.Sink,
		EnqueuedAtMS: e.now().UnixMilli(),
	})
	if err != nil {
		return "", fmt.Errorf("encode poll payload: %w", err)
	}
	opts := []asynq.Option{
		asynq.MaxRetry(e.maxRetry),
		asynq.Timeout(e.timeout),
		asynq.Retention(e.retention),
	}
	if e.firstDelay > 0 {
		opts = append(opts, asynq.ProcessIn(e.firstDelay))
	}
	dup, err := enqueueUnique(ctx, e.client, e.inspector, e.queue, PollTaskID(r.Provider, r.ID), asynq.NewTask(TypePoll, payload), opts...)
	switch {
	case err != nil:
		return "", fmt.Errorf("enqueue poll of %s: %w", r.Ref, err)
	case dup:
		return Duplicate, nil
	}
	return Queued, nil
}
