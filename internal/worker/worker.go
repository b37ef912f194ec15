// Package worker assembles a kycpoller worker from its configuration: the
// Redis connection, the provider clients, the sinks, the asynq server that
// runs poll and delivery tasks, and the HTTP listener. cmd/worker only parses
// flags and calls Run; tests run the same code in-process.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/asynqfix"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/metrics"
	"github.com/kycpoller/kycpoller/internal/provider/advance"
	"github.com/kycpoller/kycpoller/internal/provider/zoloz"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/sink"
	"github.com/kycpoller/kycpoller/internal/store"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Worker is a configured, not yet running, worker.
type Worker struct {
	cfg     *config.Config
	metrics *metrics.Metrics
	log     *zap.Logger
	rdb     redis.UniversalClient
	server  *asynq.Server
	mux     *asynq.ServeMux
	http    *http.Server
	// apiHTTP serves the API on api.addr; nil when it shares http.addr.
	apiHTTP *http.Server
	// closers are the sinks' connections, closed after the server stops.
	closers []io.Closer
	// ready is what /readyz reports (ready.go).
	ready readiness
}

func (w *Worker) closeSinks() {
	for _, c := range w.closers {
		_ = c.Close()
	}
}

// New builds a worker from cfg. It checks everything it can before Run: bad
// provider or sink settings fail here, not at the first task.
func New(cfg *config.Config, log *zap.Logger) (*Worker, error) {
	warnPlaintext(cfg, log)
	rdb := redisconn.Open(cfg.Redis, cfg.Worker.Concurrency+20)
	// Queue statistics (dashboard, queue metrics) need asynqfix on asynq v0.26.0.
	rdb.AddHook(asynqfix.Hook{})
	w := &Worker{cfg: cfg, log: log, rdb: rdb, metrics: metrics.New()}
	// asynq's queue collector: sizes, latency, processed and failed counts
	// per queue, read from Redis at each scrape.
	if err := w.metrics.Register(asynqmetrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(rdb))); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("register queue metrics: %w", err)
	}
	checkers, err := newCheckers(cfg, rdb, log, w.metrics)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	sinks, closers, err := newSinks(cfg, rdb)
	w.closers = closers
	if err != nil {
		w.closeSinks()
		_ = rdb.Close()
		return nil, err
	}
	st := store.New(rdb, tasks.StoreOptions(cfg))
	w.mux = tasks.NewServeMux(tasks.Deps{
		Config:   cfg,
		Redis:    rdb,
		Store:    st,
		Checkers: checkers,
		Sinks:    sinks,
		Log:      log,
		Metrics:  w.metrics,
		Limiter:  newLimiter(cfg, rdb),
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
	w.http = newHTTPServer(w.routes(), log)
	w.apiHTTP = w.newAPIHTTP()
	return w, nil
}

func newCheckers(cfg *config.Config, rdb redis.UniversalClient, log *zap.Logger, m *metrics.Metrics) (map[string]tasks.Checker, error) {
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
			OnTokenRefresh:   func() { m.TokenRefreshed(verification.ProviderAdvance) },
		})
		if err != nil {
			return nil, fmt.Errorf("providers.advance: %w", err)
		}
		checkers[verification.ProviderAdvance] = c
	}
	if z := cfg.Providers.Zoloz; z != nil {
		c, err := newZoloz(z, log, func() { m.ResponseSignatureFailed(verification.ProviderZoloz) })
		if err != nil {
			return nil, err
		}
		checkers[verification.ProviderZoloz] = c
	}
	return checkers, nil
}

// newZoloz reads and parses the ZOLOZ keys, so that a bad key stops the
// worker at start-up rather than failing every poll.
func newZoloz(z *config.Zoloz, log *zap.Logger, onBadSignature func()) (*zoloz.Client, error) {
	raw, err := keyBytes(z.MerchantPrivateKeyFile, string(z.MerchantPrivateKey))
	if err != nil {
		return nil, fmt.Errorf("providers.zoloz.merchant_private_key_file: %w", err)
	}
	priv, err := zoloz.ParsePrivateKey(raw)
	if err != nil {
		return nil, fmt.Errorf("providers.zoloz.merchant_private_key: %w", err)
	}
	opts := zoloz.Options{
		BaseURL:                       z.BaseURL,
		ClientID:                      z.ClientID,
		MerchantPrivateKey:            priv,
		VerifyResponseSignature:       z.VerifiesResponses(),
		IsReturnImage:                 z.IsReturnImage == "Y",
		ExtraImageControlList:         z.ExtraImageControlList,
		ReturnFiveCategorySpoofResult: z.ReturnFiveCategorySpoofResult == "Y",
		Timeout:                       z.Timeout,
		MaxResponseBytes:              z.MaxResponseBytes,
		Logger:                        log.Named("zoloz"),
		OnSignatureFailure:            onBadSignature,
	}
	if z.ZolozPublicKeyFile != "" || z.ZolozPublicKey != "" {
		raw, err := keyBytes(z.ZolozPublicKeyFile, z.ZolozPublicKey)
		if err != nil {
			return nil, fmt.Errorf("providers.zoloz.zoloz_public_key_file: %w", err)
		}
		if opts.ZolozPublicKey, err = zoloz.ParsePublicKey(raw); err != nil {
			return nil, fmt.Errorf("providers.zoloz.zoloz_public_key: %w", err)
		}
	}
	c, err := zoloz.New(opts)
	if err != nil {
		return nil, fmt.Errorf("providers.zoloz: %w", err)
	}
	return c, nil
}

// keyBytes returns a key given inline or the content of its file. Errors name
// the file, never its content.
func keyBytes(file, inline string) ([]byte, error) {
	if file == "" {
		return []byte(inline), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	return b, nil
}

// newSinks builds one Deliverer per delivery target (fanout sinks have none
// of their own: their targets are delivered to separately). Queue sinks
// connect on first use, so a broker that is down at start-up delays only its
// own deliveries.
func newSinks(cfg *config.Config, rdb redis.UniversalClient) (map[string]tasks.Deliverer, []io.Closer, error) {
	sinks := map[string]tasks.Deliverer{}
	var closers []io.Closer
	for _, name := range cfg.SinkNames() {
		s := cfg.Sinks[name]
		enc := sink.Encoder{IncludeImages: s.IncludeImages, OmitResult: !s.IncludesResult()}
		if s.Format == config.FormatCloudEvents {
			enc.Format = sink.FormatCloudEvents
		}
		switch s.Type {
		case config.SinkTypeWebhook:
			wh, err := sink.NewWebhook(sink.WebhookOptions{URL: s.URL, Secrets: s.SigningSecrets(), Timeout: s.Timeout, Encoder: enc})
			if err != nil {
				return nil, closers, fmt.Errorf("sinks.%s: %w", name, err)
			}
			sinks[name] = wh
		case config.SinkTypeRedisStream:
			client := rdb
			if s.Redis != nil {
				c := redisconn.Open(*s.Redis, 10)
				client = c
				closers = append(closers, c)
			}
			rs, err := sink.NewRedisStream(sink.RedisStreamOptions{Client: client, Stream: s.Stream, MaxLen: s.MaxLen, Encoder: enc})
			if err != nil {
				return nil, closers, fmt.Errorf("sinks.%s: %w", name, err)
			}
			sinks[name] = rs
		case config.SinkTypeNATS:
			opts := sink.NATSOptions{URL: s.URL, Subject: s.Subject, Stream: s.Stream, DuplicateWindow: s.DuplicateWindow,
				Timeout: s.Timeout, User: s.User, Password: string(s.Password), Token: string(s.Token), Encoder: enc}
			lz := sink.NewLazy(name, func(ctx context.Context) (sink.Target, error) { return sink.NewNATS(ctx, opts) })
			sinks[name], closers = lz, append(closers, lz)
		case config.SinkTypeAMQP:
			opts := sink.AMQPOptions{URL: s.URL, Exchange: s.Exchange, RoutingKey: s.RoutingKey, Timeout: s.Timeout, Encoder: enc}
			lz := sink.NewLazy(name, func(ctx context.Context) (sink.Target, error) { return sink.NewAMQP(ctx, opts) })
			sinks[name], closers = lz, append(closers, lz)
		case config.SinkTypeFanout:
		default:
			return nil, closers, fmt.Errorf("sinks.%s.type: unsupported sink type %q", name, s.Type)
		}
	}
	return sinks, closers, nil
}

// Run serves until ctx is cancelled, then shuts down gracefully: the HTTP
// listener stops, asynq stops fetching, in-flight tasks get
// worker.shutdown_timeout to finish and the rest go back to their queue.
func (w *Worker) Run(ctx context.Context) error {
	defer w.rdb.Close()
	defer w.closeSinks()
	if err := redisconn.Ping(ctx, w.rdb, 5*time.Second); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", w.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http.addr: listen: %w", err)
	}
	stopAPI, err := w.startAPI()
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stopAPI()
	if err := w.server.Start(w.mux); err != nil {
		_ = ln.Close()
		return fmt.Errorf("start asynq server: %w", err)
	}
	w.ready.running()
	httpErr := make(chan error, 1)
	go func() { httpErr <- w.http.Serve(ln) }()
	w.log.Info("worker started",
		zap.String("http_addr", ln.Addr().String()),
		zap.Int("concurrency", w.cfg.Worker.Concurrency),
		zap.String("redis_topology", w.cfg.Redis.Topology()),
		zap.Bool("redis_tls", w.cfg.Redis.TLSOn()),
		zap.String("poll_queue", w.cfg.Worker.Queues.Poll.Name),
		zap.String("delivery_queue", w.cfg.Worker.Queues.Delivery.Name),
		zap.Bool("events_encrypted", w.cfg.Events.EncryptionKeys() != nil))

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	w.log.Info("worker stopping")
	// Not ready from here on; the HTTP listener keeps answering (/readyz
	// 503) while asynq stops fetching and in-flight tasks finish.
	w.ready.stopping()
	w.server.Shutdown()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.http.Shutdown(shutdownCtx)
	w.log.Info("worker stopped")
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	return runErr
}

func (w *Worker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", w.serveReady)
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", requireBearer(string(w.cfg.HTTP.MetricsToken), w.metrics.Handler()))
	w.mountAPI(mux)
	w.mountDashboard(mux)
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
