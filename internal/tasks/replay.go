package tasks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// ErrNoFinalEvent is returned when a replay names a verification without a
// stored final event.
var ErrNoFinalEvent = errors.New("no final event stored (not final yet, or older than events.retention)")

// Replayer re-sends stored final events, with their original event ids, as
// fresh delivery tasks with the full retry schedule.
type Replayer struct {
	cfg        *config.Config
	store      *store.Store
	inspector  *asynq.Inspector
	deliveries *deliveryEnqueuer
	now        func() time.Time
}

// NewReplayer returns a Replayer for cfg on rdb. It does not close rdb.
func NewReplayer(rdb redis.UniversalClient, cfg *config.Config) *Replayer {
	ins := asynq.NewInspectorFromRedisClient(rdb)
	return &Replayer{
		cfg:       cfg,
		store:     store.New(rdb, StoreOptions(cfg)),
		inspector: ins,
		deliveries: &deliveryEnqueuer{
			client:    asynq.NewClientFromRedisClient(rdb),
			inspector: ins,
			queue:     cfg.Worker.Queues.Delivery.Name,
			retention: cfg.Worker.Retention,
			cfg:       cfg,
		},
		now: time.Now,
	}
}

// StoreOptions are the TTLs of kycpoller's own state for cfg, and the
// cipher of stored events when events.encryption_key is set.
func StoreOptions(cfg *config.Config) store.Options {
	return store.Options{
		// The state must outlive every retry of the poll task and the event
		// itself: it is what tells a re-run that the result is known.
		StateTTL: max(cfg.Polling.MaxAge+cfg.Worker.Retention, cfg.Events.Retention) + time.Hour,
		EventTTL: cfg.Events.Retention,
		Cipher:   eventCipher(cfg),
	}
}

// replayTaskID is unique per replay, so a replay never collides with the
// original delivery or an earlier replay.
func replayTaskID(target, eventID string, at time.Time) string {
	return "replay:" + target + ":" + eventID + ":" + strconv.FormatInt(at.UnixNano(), 36)
}

// Replayed says what a replay enqueued.
type Replayed struct {
	EventID string
	Targets []string
}

// Replay re-sends ref's final event to sink, or to the sink it was first
// routed to when sink is "".
func (r *Replayer) Replay(ctx context.Context, ref verification.Ref, sink string) (Replayed, error) {
	if sink != "" && !slices.Contains(r.cfg.SinkNames(), sink) {
		return Replayed{}, &verification.FieldError{Field: "sink", Reason: fmt.Sprintf("unknown sink %q (configured: %v)", sink, r.cfg.SinkNames())}
	}
	st, ok, err := r.store.State(ctx, ref)
	if err != nil {
		return Replayed{}, err
	}
	if !ok || st.FinalEventID == "" {
		return Replayed{}, fmt.Errorf("replay %s: %w", ref, ErrNoFinalEvent)
	}
	ev, err := r.store.Event(ctx, st.FinalEventID)
	if errors.Is(err, store.ErrEventNotFound) {
		return Replayed{}, fmt.Errorf("replay %s: %w", ref, ErrNoFinalEvent)
	}
	if err != nil {
		return Replayed{}, err
	}
	sink = cmp.Or(sink, st.Sink, r.cfg.DefaultSink)
	if _, ok := r.cfg.Sinks[sink]; !ok {
		return Replayed{}, fmt.Errorf("replay %s: sink %q it was routed to is no longer configured; name one with -sink", ref, sink)
	}
	out := Replayed{EventID: ev.ID}
	for _, target := range r.cfg.Targets(sink) {
		if err := r.deliveries.enqueueTarget(ctx, ev, target, replayTaskID(target, ev.ID, r.now())); err != nil {
			return out, err
		}
		out.Targets = append(out.Targets, target)
	}
	return out, nil
}

// DeadReplay counts what ReplayDead did.
type DeadReplay struct {
	Replayed int // dead letters enqueued again (and removed from the archive)
	Expired  int // dead letters whose event is gone: left archived
}

// ReplayDead re-drives every archived (dead-lettered) delivery, or those of
// one sink (a fanout name covers its targets), each as a fresh delivery with
// the full retry schedule; the archived task is removed once its replay is
// enqueued.
func (r *Replayer) ReplayDead(ctx context.Context, sink string) (DeadReplay, error) {
	var res DeadReplay
	var only []string
	if sink != "" {
		if !slices.Contains(r.cfg.SinkNames(), sink) {
			return res, &verification.FieldError{Field: "sink", Reason: fmt.Sprintf("unknown sink %q (configured: %v)", sink, r.cfg.SinkNames())}
		}
		only = r.cfg.Targets(sink)
	}
	queue := r.cfg.Worker.Queues.Delivery.Name
	// Collect first: deleting while paging would shift the pages. asynq
	// keeps at most 10,000 archived tasks per queue.
	var dead []*asynq.TaskInfo
	for page := 1; ; page++ {
		tis, err := r.inspector.ListArchivedTasks(queue, asynq.PageSize(500), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("list dead-lettered deliveries: %w", err)
		}
		dead = append(dead, tis...)
		if len(tis) < 500 {
			break
		}
	}
	for _, ti := range dead {
		var p DeliverPayload
		if ti.Type != TypeDeliver || json.Unmarshal(ti.Payload, &p) != nil {
			continue
		}
		if only != nil && !slices.Contains(only, p.Sink) {
			continue
		}
		ev, err := r.store.Event(ctx, p.EventID)
		if errors.Is(err, store.ErrEventNotFound) {
			res.Expired++
			continue
		}
		if err != nil {
			return res, err
		}
		if err := r.deliveries.enqueueTarget(ctx, ev, p.Sink, replayTaskID(p.Sink, ev.ID, r.now())); err != nil {
			return res, err
		}
		if err := r.inspector.DeleteTask(queue, ti.ID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return res, fmt.Errorf("remove replayed dead letter %s: %w", ti.ID, err)
		}
		res.Replayed++
	}
	return res, nil
}
