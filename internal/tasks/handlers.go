package tasks

import (
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/store"
)

// deliveryJitter randomises delivery retry delays by ±10%.
const deliveryJitter = 0.1

// Deps are what the handlers need.
type Deps struct {
	Config   *config.Config
	Redis    redis.UniversalClient
	Store    *store.Store
	Checkers map[string]Checker
	Sinks    map[string]Deliverer
	Log      *zap.Logger
	// Metrics counts what the handlers do; nil counts nothing.
	Metrics Metrics
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Limiter bounds provider calls across workers; nil limits nothing.
	Limiter ProviderLimiter
}

// Metrics receives the outcome of every poll and delivery attempt. Label
// values are bounded: provider and sink names, fixed outcomes.
type Metrics interface {
	PollDone(provider, outcome string)
	DeliveryDone(sink, outcome string)
	CheckDone(provider string, d time.Duration)
	Finalized(provider, status string, age time.Duration)
}

type noMetrics struct{}

func (noMetrics) PollDone(string, string)                 {}
func (noMetrics) DeliveryDone(string, string)             {}
func (noMetrics) CheckDone(string, time.Duration)         {}
func (noMetrics) Finalized(string, string, time.Duration) {}

// NewServeMux returns the mux that routes kycpoller's task types to their
// handlers.
func NewServeMux(d Deps) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	poll, deliver := NewHandlers(d)
	mux.Handle(TypePoll, poll)
	mux.Handle(TypeDeliver, deliver)
	return mux
}

// NewHandlers builds the poll and delivery handlers.
func NewHandlers(d Deps) (*PollHandler, *DeliverHandler) {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	m := d.Metrics
	if m == nil {
		m = noMetrics{}
	}
	schedules := make(map[string][]time.Duration, len(d.Config.Sinks))
	for name, s := range d.Config.Sinks {
		schedules[name] = s.RetrySchedule
	}
	poll := &PollHandler{
		checkers: d.Checkers,
		store:    d.Store,
		deliveries: &deliveryEnqueuer{
			client:    asynq.NewClientFromRedisClient(d.Redis),
			inspector: asynq.NewInspectorFromRedisClient(d.Redis),
			queue:     d.Config.Worker.Queues.Delivery.Name,
			retention: d.Config.Worker.Retention,
			cfg:       d.Config,
		},
		schedule: ScheduleFromConfig(d.Config.Polling),
		metrics:  m,
		limiter:  d.Limiter,
		log:      d.Log.Named("poll"),
		now:      now,
	}
	deliver := &DeliverHandler{
		sinks:     d.Sinks,
		schedules: schedules,
		jitter:    deliveryJitter,
		store:     d.Store,
		metrics:   m,
		log:       d.Log.Named("deliver"),
	}
	return poll, deliver
}
