// Package noop is asynq's ceiling for the benchmarks: an asynq server built
// with exactly the worker's server settings (Redis connection pool,
// concurrency, queues and weights, check intervals, retry policy hooks)
// whose handler does nothing. Its tasks look like poll tasks (same queue,
// options and payload size), so whatever kycpoller costs on top of it is
// kycpoller's own.
package noop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/bench/fanout"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// TypeNoop is the no-op task type.
const TypeNoop = "bench:noop"

// errNotReady is what a not-ready no-op returns: a retry that is not a
// failure, like a poll whose result is not final yet.
var errNotReady = errors.New("not ready")

// Options tunes Serve.
type Options struct {
	// Count is how many tasks to wait for before reporting.
	Count int
	// NotReady makes every task ask to run again after RetryIn instead of
	// completing, the way a poll whose result is not final does.
	NotReady bool
	RetryIn  time.Duration
	// HTTPURL, when set, makes every task GET this URL first (keep-alive,
	// one pooled connection per worker slot): asynq plus the I/O of one
	// loopback HTTP exchange, nothing of kycpoller.
	HTTPURL string
	// Report receives one JSON Report line once Count tasks have run.
	Report io.Writer
}

// Report is what Serve writes once Count tasks have run.
type Report struct {
	Count   int   `json:"count"`
	FirstNS int64 `json:"first_ns"`
	LastNS  int64 `json:"last_ns"`
}

// Serve runs the no-op server with cfg's settings until ctx ends.
func Serve(ctx context.Context, cfg *config.Config, opts Options) error {
	rdb := redisconn.Open(cfg.Redis, cfg.Worker.Concurrency+20)
	defer rdb.Close()
	var (
		mu       sync.Mutex
		n        int
		first    time.Time
		reported bool
	)
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Worker.Concurrency, IdleConnTimeout: time.Minute},
	}
	handler := asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		if opts.HTTPURL != "" {
			if err := get(ctx, client, opts.HTTPURL); err != nil {
				return err
			}
		}
		now := time.Now()
		mu.Lock()
		n++
		if n == 1 {
			first = now
		}
		if n >= opts.Count && !reported {
			reported = true
			b, _ := json.Marshal(Report{Count: n, FirstNS: first.UnixNano(), LastNS: now.UnixNano()})
			_, _ = fmt.Fprintf(opts.Report, "%s\n", b)
		}
		mu.Unlock()
		if opts.NotReady {
			return errNotReady
		}
		return nil
	})
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency: cfg.Worker.Concurrency,
		Queues: map[string]int{
			cfg.Worker.Queues.Poll.Name:     cfg.Worker.Queues.Poll.Weight,
			cfg.Worker.Queues.Delivery.Name: cfg.Worker.Queues.Delivery.Weight,
		},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return opts.RetryIn },
		IsFailure:                func(err error) bool { return !errors.Is(err, errNotReady) },
		ShutdownTimeout:          cfg.Worker.ShutdownTimeout,
		DelayedTaskCheckInterval: cfg.Worker.DelayedTaskCheckInterval,
		TaskCheckInterval:        cfg.Worker.TaskCheckInterval,
		LogLevel:                 asynq.WarnLevel,
	})
	if err := srv.Start(handler); err != nil {
		return fmt.Errorf("start no-op server: %w", err)
	}
	<-ctx.Done()
	srv.Shutdown()
	return nil
}

// get makes one GET of url and reads the answer.
func get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("no-op request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("no-op request: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("no-op response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("no-op response: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Enqueue enqueues one no-op task per id into the poll queue, with the
// options and payload shape of a poll task, from workers goroutines.
func Enqueue(ctx context.Context, rdb redis.UniversalClient, cfg *config.Config, ids []string, workers int) error {
	client := asynq.NewClientFromRedisClient(rdb)
	enqueuedAt := time.Now().UnixMilli()
	return fanout.Each(ctx, ids, workers, func(ctx context.Context, id string) error {
		payload, err := json.Marshal(tasks.PollPayload{Provider: "advance", ID: id, Sink: cfg.DefaultSink, EnqueuedAtMS: enqueuedAt})
		if err != nil {
			return err
		}
		_, err = client.EnqueueContext(ctx, asynq.NewTask(TypeNoop, payload),
			asynq.TaskID(tasks.PollTaskID("advance", id)),
			asynq.Queue(cfg.Worker.Queues.Poll.Name),
			asynq.MaxRetry(25),
			asynq.Timeout(cfg.Polling.AttemptTimeout),
			asynq.Retention(cfg.Worker.Retention))
		if err != nil {
			return fmt.Errorf("enqueue no-op task: %w", err)
		}
		return nil
	})
}
