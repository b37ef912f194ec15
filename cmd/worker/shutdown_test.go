package main

import (
	"context"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// SIGTERM while polls are in flight (the provider takes a while to answer):
// /readyz turns 503 at once, the process exits 0 within
// worker.shutdown_timeout, no task is left active (held by a dead worker),
// nothing is counted as failed, and a worker started afterwards delivers
// every verification.
//
// "finish" has in-flight polls finish within the timeout; "requeue" has a
// timeout shorter than one provider call, so asynq returns the polls still
// running to their queue.
func TestSIGTERMDuringPollsLosesNothing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name            string
		latency         time.Duration
		shutdownTimeout time.Duration
	}{
		{"finish", 2 * time.Second, 8 * time.Second},
		{"requeue", 4 * time.Second, time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			testSIGTERM(t, tt.latency, tt.shutdownTimeout)
		})
	}
}

func testSIGTERM(t *testing.T, latency, shutdownTimeout time.Duration) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{
		Advance: advancefake.Options{Latency: latency},
		Config:  sandbox.ConfigParams{ShutdownTimeout: shutdownTimeout, Concurrency: 10},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	cfg, err := config.Load(sb.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr})
	defer rdb.Close()
	ins := asynq.NewInspectorFromRedisClient(rdb)
	pollQueue := cfg.Worker.Queues.Poll.Name

	const n = 25
	for i := range n {
		sb.Advance.Register(fmt.Sprintf("term-%02d", i), advancefake.Script{ReadyAfter: time.Duration(i%5) * 500 * time.Millisecond, Outcome: advancefake.OutcomePass})
	}
	base := "http://" + sb.Params.HTTPAddr
	p := startProc(t, sb.ConfigPath, sb.Params.HTTPAddr)
	waitReady(t, base, 10*time.Second)
	enq := tasks.NewEnqueuer(rdb, cfg)
	for i := range n {
		if _, err := enq.Enqueue(context.Background(), tasks.Request{Ref: verification.Ref{Provider: "advance", ID: fmt.Sprintf("term-%02d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the worker holds several polls, each waiting on the
	// provider.
	var inFlight int
	deadline := time.Now().Add(20 * time.Second)
	for inFlight < 5 {
		active, _ := ins.ListActiveTasks(pollQueue)
		inFlight = len(active)
		if time.Now().After(deadline) {
			t.Fatalf("only %d polls in flight", inFlight)
		}
		time.Sleep(20 * time.Millisecond)
	}

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var (
		exitErr    error
		saw503     bool
		readyAfter = -1 * time.Second
		client     = http.Client{Timeout: 500 * time.Millisecond}
	)
wait:
	for {
		select {
		case exitErr = <-p.done:
			p.done <- exitErr
			break wait
		case <-time.After(shutdownTimeout + 5*time.Second):
			t.Fatalf("worker still running %v after SIGTERM (shutdown_timeout %v)", time.Since(start), shutdownTimeout)
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			continue // the listener closes last, just before exit
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusServiceUnavailable:
			saw503 = true
		case http.StatusOK:
			readyAfter = time.Since(start)
		}
	}
	took := time.Since(start)
	t.Logf("SIGTERM with %d polls in flight: exit after %v (shutdown_timeout %v)", inFlight, took, shutdownTimeout)
	if exitErr != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", exitErr)
	}
	if took > shutdownTimeout+3*time.Second {
		t.Errorf("exit took %v, want within shutdown_timeout %v plus a margin", took, shutdownTimeout)
	}
	if !saw503 {
		t.Error("/readyz never answered 503 during the shutdown")
	}
	if readyAfter > 100*time.Millisecond {
		t.Errorf("/readyz still answered 200 %v after SIGTERM", readyAfter)
	}
	// Nothing is left held by the stopped worker: every poll it ran either
	// finished or went back to its queue.
	if active, err := ins.ListActiveTasks(pollQueue); err != nil || len(active) != 0 {
		t.Errorf("after exit: %d poll tasks still active (%v), want 0", len(active), err)
	}
	checkNoFailures(t, ins, pollQueue)

	startProc(t, sb.ConfigPath, sb.Params.HTTPAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := sb.Receiver.WaitAccepted(ctx, n); err != nil {
		t.Fatalf("after restart: %d of %d delivered: %v", len(sb.Receiver.EventIDs()), n, err)
	}
	for i := range n {
		id := fmt.Sprintf("advance/term-%02d", i)
		if ds := sb.Receiver.ByVerification()[id]; len(ds) == 0 || ds[0].Event.Data.Status != verification.StatusPass {
			t.Errorf("%s: delivered %d times, want PASS", id, len(ds))
		}
	}
	checkNoFailures(t, ins, pollQueue)
}

func waitReady(t *testing.T, base string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker never ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkNoFailures(t *testing.T, ins *asynq.Inspector, queue string) {
	t.Helper()
	info, err := ins.GetQueueInfo(queue)
	if err != nil {
		t.Fatalf("GetQueueInfo: %v", err)
	}
	if info.Failed != 0 || info.FailedTotal != 0 || info.Archived != 0 {
		t.Errorf("%s: failed %d (total %d), archived %d; want none", queue, info.Failed, info.FailedTotal, info.Archived)
	}
}
