package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Errors of Status, Cancel and Nudge. Compare with errors.Is.
var (
	// ErrNotFound: the verification was never enqueued, was cancelled, or
	// is older than the retention windows.
	ErrNotFound = errors.New("verification not found (never enqueued, cancelled, or older than the retention)")
	// ErrFinal: the verification already has a final result; there is no
	// poll left to cancel or run.
	ErrFinal = errors.New("verification already has a final result")
	// ErrPollRunning: the poll is running right now and cannot be
	// cancelled; try again in a moment.
	ErrPollRunning = errors.New("verification is being polled right now; try again in a moment")
)

// State is where a verification stands.
type State string

// Verification states.
const (
	// StateWaiting: enqueued, not polled yet.
	StateWaiting State = "waiting"
	// StatePolling: polled at least once (or being polled), not final.
	StatePolling State = "polling"
	// StateFinal: the final result is recorded; its delivery is pending or
	// being retried.
	StateFinal State = "final"
	// StateDelivered: the final event was delivered to every target of its
	// sink.
	StateDelivered State = "delivered"
	// StateDead: the poll task, or a delivery of the final event, was
	// dead-lettered (archived).
	StateDead State = "dead"
)

// Status describes a verification without any personal data: references,
// counts, times and the final status only.
type Status struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	State    State  `json:"state"`
	// Polls counts the provider polls so far.
	Polls      int       `json:"polls"`
	EnqueuedAt time.Time `json:"enqueued_at,omitzero"`
	LastPollAt time.Time `json:"last_poll_at,omitzero"`
	// NextPollAt is when the next poll is due (whole seconds); zero when
	// none is scheduled (final, dead, or being polled now).
	NextPollAt time.Time `json:"next_poll_at,omitzero"`
	// FinalStatus is the status of the final event (PASS, FAIL, ...); empty
	// until final, or once the event has expired.
	FinalStatus verification.Status `json:"final_status,omitempty"`
	// EventID is the final event's id.
	EventID string `json:"event_id,omitempty"`
}

// Controller answers status queries about verifications and cancels or
// nudges their polls. The CLI, the HTTP API and the Go client share it.
type Controller struct {
	cfg       *config.Config
	store     *store.Store
	inspector *asynq.Inspector
	now       func() time.Time
}

// NewController returns a Controller for cfg on rdb. It does not close rdb.
func NewController(rdb redis.UniversalClient, cfg *config.Config) *Controller {
	return &Controller{
		cfg:       cfg,
		store:     store.New(rdb, StoreOptions(cfg)),
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		now:       time.Now,
	}
}

// ValidateLookup checks a provider and id given to look a verification up
// (Status, Cancel, Nudge): the rules of an enqueue, without biz_id. The
// error joins one *verification.FieldError per problem.
func ValidateLookup(provider, id string) error {
	ref := verification.Ref{Provider: provider, ID: id}
	if provider == verification.ProviderZoloz {
		ref.BizID = "-" // not part of the lookup
	}
	return ref.Validate(nil)
}

// lookup is what is known about one verification.
type lookup struct {
	ref   verification.Ref
	task  *asynq.TaskInfo // nil: no poll task
	state store.State
	// hasState is false when no state is recorded, or the recorded state
	// belongs to an earlier enqueue of the same reference.
	hasState bool
}

func (c *Controller) lookup(ctx context.Context, provider, id string) (lookup, error) {
	if err := ValidateLookup(provider, id); err != nil {
		return lookup{}, err
	}
	l := lookup{ref: verification.Ref{Provider: provider, ID: id}}
	ti, err := c.inspector.GetTaskInfo(c.cfg.Worker.Queues.Poll.Name, PollTaskID(provider, id))
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
	case err != nil:
		return l, fmt.Errorf("inspect poll of %s: %w", l.ref, err)
	default:
		l.task = ti
	}
	st, ok, err := c.store.State(ctx, l.ref)
	if err != nil {
		return l, err
	}
	l.state, l.hasState = st, ok
	if l.task != nil && ok {
		var p PollPayload
		if json.Unmarshal(l.task.Payload, &p) == nil && p.EnqueuedAtMS != st.EnqueuedAt.UnixMilli() {
			// Left by an earlier enqueue; the current one was not polled yet.
			l.state, l.hasState = store.State{}, false
		}
	}
	if l.task == nil && (!l.hasState || l.state.FinalEventID == "") {
		return l, fmt.Errorf("%s: %w", l.ref, ErrNotFound)
	}
	return l, nil
}

// Status returns where the verification (provider, id) stands. An unknown
// one returns an error wrapping ErrNotFound; invalid input returns
// *verification.FieldError values.
func (c *Controller) Status(ctx context.Context, provider, id string) (Status, error) {
	l, err := c.lookup(ctx, provider, id)
	if err != nil {
		return Status{}, err
	}
	s := Status{Provider: provider, ID: id, Polls: l.state.Polls, LastPollAt: l.state.LastPollAt}
	if l.task != nil {
		var p PollPayload
		if json.Unmarshal(l.task.Payload, &p) == nil {
			s.EnqueuedAt = p.EnqueuedAt()
		}
	} else {
		s.EnqueuedAt = l.state.EnqueuedAt
	}
	if l.hasState && l.state.FinalEventID != "" {
		s.EventID = l.state.FinalEventID
		if ev, err := c.store.PeekEvent(ctx, s.EventID); err == nil {
			s.FinalStatus = ev.Data.Status
		} else if !errors.Is(err, store.ErrEventNotFound) {
			return Status{}, err
		}
		s.State, err = c.deliveryState(s.EventID, l.state.Sink)
		return s, err
	}
	switch l.task.State {
	case asynq.TaskStateArchived:
		s.State = StateDead
		return s, nil
	case asynq.TaskStateCompleted:
		// Completed without a recorded result: the state expired first.
		s.State = StateFinal
		return s, nil
	case asynq.TaskStateActive:
		s.State = StatePolling
		return s, nil
	}
	s.State = StatePolling
	if s.Polls == 0 {
		s.State = StateWaiting
	}
	s.NextPollAt = l.task.NextProcessAt.UTC()
	if l.task.State == asynq.TaskStatePending || s.NextPollAt.IsZero() {
		s.NextPollAt = c.now().UTC().Truncate(time.Second)
	}
	return s, nil
}

// deliveryState is final, delivered or dead, from the delivery tasks of
// eventID to the targets of sink.
func (c *Controller) deliveryState(eventID, sink string) (State, error) {
	if sink == "" {
		sink = c.cfg.DefaultSink
	}
	targets := c.cfg.Targets(sink)
	delivered := 0
	for _, target := range targets {
		ti, err := c.inspector.GetTaskInfo(c.cfg.Worker.Queues.Delivery.Name, DeliverTaskID(target, eventID))
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
			continue
		case err != nil:
			return "", fmt.Errorf("inspect delivery of %s: %w", eventID, err)
		case ti.State == asynq.TaskStateArchived:
			return StateDead, nil
		case ti.State == asynq.TaskStateCompleted:
			delivered++
		}
	}
	if len(targets) > 0 && delivered == len(targets) {
		return StateDelivered, nil
	}
	return StateFinal, nil
}
