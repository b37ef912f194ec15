// Package worker assembles a kycpoller worker from its configuration: the
// Redis connection, the provider clients, the sinks, the asynq server that
// runs poll and delivery tasks, and the HTTP listener. cmd/worker only parses
// flags and calls Run; tests run the same code in-process.
package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/provider/advance"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/sink"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Worker is a configured, not yet running, worker.
type Worker struct {
	cfg    *config.Config
	log    *zap.Logger
	rdb    redis.UniversalClient
	server *asynq.Server
	mux    *asynq.ServeMux
	http   *http.Server
}

// New builds a worker from cfg. It checks everything it can before Run: bad
// provider or sink settings fail here, not at the first task.
func New(cfg *config.Config, log *zap.Logger) (*Worker, error) {
	rdb := redisconn.Open(cfg.Redis, cfg.Worker.Concurrency+20)
	w := &Worker{cfg: cfg, log: log, rdb: rdb}
	checkers, err := newCheckers(cfg, rdb, log)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	sinks, err := newSinks(cfg)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	st := store.New(rdb, store.Options{
		// The state must outlive every retry of the poll task and the
		// event itself: it is what tells a re-run that the result is known.
		StateTTL: max(cfg.Polling.MaxAge+cfg.Worker.Retention, cfg.Events.Retention) + time.Hour,
		EventTTL: cfg.Events.Retention,
	})
	w.mux = tasks.NewServeMux(tasks.Deps{
		Config:   cfg,
		Redis:    rdb,
		Store:    st,
		Checkers: checkers,
		Sinks:    sinks,
		Log:      log,
	})
	w.server = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency: cfg.Worker.Concurrency,
		Queues: map[string]int{
			cfg.Worker.Queues.Poll.Name:     cfg.Worker.Queues.Poll.Weight,
			cfg.Worker.Queues.Delivery.Name: cfg.Worker.Queues.Delivery.Weight,
		},
		RetryDelayFunc:           tasks.NewRetryPolicy(cfg).Delay,
		IsFailure:                tasks.IsFailure,
		ShutdownTimeout:          cfg.Worker.ShutdownTimeout,
		DelayedTaskCheckInterval: cfg.Worker.DelayedTaskCheckInterval,
		TaskCheckInterval:        cfg.Worker.TaskCheckInterval,
		Logger:                   log.Named("asynq").Sugar(),
		LogLevel:                 asynqLogLevel(log),
	})
	w.http = &http.Server{
		Addr:              cfg.HTTP.Addr,
		Handler:           w.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return w, nil
}

func newCheckers(cfg *config.Config, rdb redis.UniversalClient, log *zap.Logger) (map[string]tasks.Checker, error) {
	checkers := map[string]tasks.Checker{}
	if a := cfg.Providers.Advance; a != nil {
		c, err := advance.New(advance.Options{
			BaseURL:          a.BaseURL,
			AccessKey:        string(a.AccessKey),
			SecretKey:        string(a.SecretKey),
			ReturnImageType:  a.ReturnImageType,
			Timeout:          a.Timeout,
			TokenPeriod:      a.TokenPeriod,
			MaxResponseBytes: a.MaxResponseBytes,
			Redis:            rdb,
			Logger:           log.Named("advance"),
		})
		if err != nil {
			return nil, fmt.Errorf("providers.advance: %w", err)
		}
		checkers[verification.ProviderAdvance] = c
	}
	return checkers, nil
}

func newSinks(cfg *config.Config) (map[string]tasks.Deliverer, error) {
	sinks := map[string]tasks.Deliverer{}
	for name, s := range cfg.Sinks {
		switch s.Type {
		case "webhook":
			wh, err := sink.NewWebhook(sink.WebhookOptions{
				URL:     s.URL,
				Secrets: s.SigningSecrets(),
				Timeout: s.Timeout,
			})
			if err != nil {
				return nil, fmt.Errorf("sinks.%s: %w", name, err)
			}
			sinks[name] = wh
		default:
			return nil, fmt.Errorf("sinks.%s.type: unsupported sink type %q", name, s.Type)
		}
	}
	return sinks, nil
}

// Run serves until ctx is cancelled, then shuts down gracefully: the HTTP
// listener stops, asynq stops fetching, in-flight tasks get
// worker.shutdown_timeout to finish and the rest go back to their queue.
func (w *Worker) Run(ctx context.Context) error {
	defer w.rdb.Close()
	if err := redisconn.Ping(ctx, w.rdb, 5*time.Second); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", w.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr: listen: %w", err)
	}
	if err := w.server.Start(w.mux); err != nil {
		_ = ln.Close()
		return fmt.Errorf("start asynq server: %w", err)
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- w.http.Serve(ln) }()
	w.log.Info("worker started",
		zap.String("http_addr", ln.Addr().String()),
		zap.Int("concurrency", w.cfg.Worker.Concurrency),
		zap.String("poll_queue", w.cfg.Worker.Queues.Poll.Name),
		zap.String("delivery_queue", w.cfg.Worker.Queues.Delivery.Name))

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	w.log.Info("worker stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.http.Shutdown(shutdownCtx)
	w.server.Shutdown()
	w.log.Info("worker stopped")
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	return runErr
}

func (w *Worker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write([]byte("ok\n"))
	})
	return mux
}

// asynqLogLevel maps the logger's level onto asynq's, so that asynq's own
// chatter follows log.level.
func asynqLogLevel(log *zap.Logger) asynq.LogLevel {
	switch {
	case log.Core().Enabled(zap.DebugLevel):
		return asynq.DebugLevel
	case log.Core().Enabled(zap.InfoLevel):
		return asynq.InfoLevel
	case log.Core().Enabled(zap.WarnLevel):
		return asynq.WarnLevel
	default:
		return asynq.ErrorLevel
	}
}
