package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/verification"
)

func newStore(t *testing.T) (*store.Store, func(key string) time.Duration) {
	t.Helper()
	rdb := redistest.Client(t, redistest.Start(t))
	s := store.New(rdb, store.Options{StateTTL: time.Hour, EventTTL: 2 * time.Hour})
	ttl := func(key string) time.Duration { return rdb.PTTL(context.Background(), key).Val() }
	return s, ttl
}

func TestBeginPollCountsAndResetsOnNewEnqueue(t *testing.T) {
	t.Parallel()
	s, ttl := newStore(t)
	ctx := context.Background()
	ref := verification.Ref{Provider: "advance", ID: "s-1"}
	enq := time.UnixMilli(1_700_000_000_000)
	for want := 1; want <= 3; want++ {
		ps, err := s.BeginPoll(ctx, ref, enq, enq.Add(time.Duration(want)*time.Second))
		if err != nil || ps.Polls != want || ps.FinalEventID != "" {
			t.Fatalf("poll %d: %+v, %v", want, ps, err)
		}
	}
	if d := ttl("kycpoller:v:advance:s-1"); d <= 0 || d > time.Hour {
		t.Errorf("state TTL = %v, want within (0, 1h]", d)
	}
	if err := s.PollFailed(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if err := s.PollFailed(ctx, ref); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.BeginPoll(ctx, ref, enq, enq)
	if ps.ConsecutiveErrors != 2 {
		t.Errorf("consecutive errors = %d, want 2", ps.ConsecutiveErrors)
	}
	if err := s.PollAnswered(ctx, ref); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.BeginPoll(ctx, ref, enq, enq)
	if ps.ConsecutiveErrors != 0 || ps.Polls != 5 {
		t.Errorf("after an answer: %+v, want 0 errors and 5 polls", ps)
	}
	// The same reference enqueued again later starts from scratch, with
	// the errors of the earlier enqueue forgotten and a fresh expiry.
	if err := s.PollFailed(ctx, ref); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.BeginPoll(ctx, ref, enq.Add(48*time.Hour), enq.Add(48*time.Hour))
	if ps.Polls != 1 || ps.ConsecutiveErrors != 0 {
		t.Errorf("after a new enqueue: %+v, want 1 poll and 0 errors", ps)
	}
	if d := ttl("kycpoller:v:advance:s-1"); d <= 0 || d > time.Hour {
		t.Errorf("state TTL after a new enqueue = %v, want within (0, 1h]", d)
	}
}

func TestRecordFinalThenEventAndMarker(t *testing.T) {
	t.Parallel()
	s, ttl := newStore(t)
	ctx := context.Background()
	ref := verification.Ref{Provider: "advance", ID: "s-2"}
	enq := time.UnixMilli(1_700_000_000_000)
	if _, err := s.BeginPoll(ctx, ref, enq, enq); err != nil {
		t.Fatal(err)
	}
	ev := event.New(ref, verification.Result{Final: true, Status: verification.StatusPass, Data: json.RawMessage(`{"k":"v"}`)}, 1, enq, enq.Add(time.Second))
	if err := s.RecordFinal(ctx, ev, "default"); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.BeginPoll(ctx, ref, enq, enq)
	if ps.FinalEventID != ev.ID {
		t.Fatalf("final event id = %q, want %q", ps.FinalEventID, ev.ID)
	}
	got, err := s.Event(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ev.ID || got.Data.Status != verification.StatusPass || string(got.Data.Result) != `{"k":"v"}` {
		t.Fatalf("stored event = %+v", got)
	}
	if d := ttl("kycpoller:event:" + ev.ID); d <= time.Hour || d > 2*time.Hour {
		t.Errorf("event TTL = %v, want the event retention (2h)", d)
	}
	if _, err := s.Event(ctx, "evt_missing"); !errors.Is(err, store.ErrEventNotFound) {
		t.Errorf("missing event: %v, want ErrEventNotFound", err)
	}
	st, ok, err := s.State(ctx, ref)
	if err != nil || !ok || st.FinalEventID != ev.ID || st.Polls != 2 {
		t.Errorf("State = %+v, %v, %v", st, ok, err)
	}
}
