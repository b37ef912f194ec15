package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/verification"
)

func TestReplayByReferenceEnqueuesTheStoredEvent(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := testConfig(t, srv.Addr)
	rdb := redistest.Client(t, srv)
	ref := verification.Ref{Provider: "advance", ID: "rp-1"}
	now := time.Now()
	st := store.New(rdb, store.Options{StateTTL: time.Hour, EventTTL: time.Hour})
	ctx := context.Background()
	if _, err := st.BeginPoll(ctx, ref, now, now); err != nil {
		t.Fatal(err)
	}
	ev := event.New(ref, verification.Result{Final: true, Status: verification.StatusPass}, 1, now, now)
	if err := st.RecordFinal(ctx, ev, "default"); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, "", "replay", "-config", cfg, "-provider", "advance", "-id", "rp-1")
	if r.code != 0 || r.stdout != "replayed advance/rp-1 "+ev.ID+" to default\n" {
		t.Fatalf("replay: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	ins := asynq.NewInspectorFromRedisClient(rdb)
	pending, err := ins.ListPendingTasks("kyc_delivery")
	if err != nil || len(pending) != 1 || !strings.HasPrefix(pending[0].ID, "replay:default:"+ev.ID+":") {
		t.Fatalf("pending deliveries = %v, %v; want one replay of %s", pending, err, ev.ID)
	}
	if !strings.Contains(string(pending[0].Payload), ev.ID) {
		t.Errorf("replay payload %s lacks the event id", pending[0].Payload)
	}

	r = runCLI(t, "", "replay", "-config", cfg, "-provider", "advance", "-id", "never-final")
	if r.code != 1 || !strings.Contains(r.stderr, "no final event stored") {
		t.Errorf("replay of an unknown reference: code %d, stderr %q; want 1 and a clear message", r.code, r.stderr)
	}
	r = runCLI(t, "", "replay", "-config", cfg, "-dead")
	if r.code != 0 || r.stdout != "replayed 0 dead-lettered deliveries\n" {
		t.Errorf("replay -dead with none: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestReplayInvalidInputExitsTwo(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	cfg := testConfig(t, srv.Addr)
	for name, args := range map[string][]string{
		"neither":          {},
		"both":             {"-provider", "advance", "-id", "x", "-dead"},
		"unknown sink":     {"-dead", "-sink", "nope"},
		"bad id":           {"-provider", "advance", "-id", "a b"},
		"unknown provider": {"-provider", "acme", "-id", "x"},
	} {
		r := runCLI(t, "", append([]string{"replay", "-config", cfg}, args...)...)
		if r.code != 2 {
			t.Errorf("%s: code %d, want 2 (stderr %q)", name, r.code, r.stderr)
		}
	}
}
