// Package bench runs kycpoller's benchmark scenarios against real processes:
// a private redis-server, the fake ADVANCE.AI and a webhook receiver served
// on loopback by this process, and the worker binary (or the no-op asynq
// server, see package noop) as a separate process, so that the memory and
// CPU figures of a worker are its own.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/bench/redisstats"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/fake/receiver"
	"github.com/kycpoller/kycpoller/internal/localredis"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// EnvOptions tunes one scenario's surroundings.
type EnvOptions struct {
	// Latency delays every answer of the fake provider.
	Latency time.Duration
	// TrackIDs records, per verification id, when the fake answered it and
	// when its delivery arrived (scenario "latency").
	TrackIDs bool
	// Config tunes the worker's configuration; addresses and keys are
	// filled in.
	Config sandbox.ConfigParams
}

// Env is a running set of surroundings for one scenario.
type Env struct {
	Dir        string
	Redis      *localredis.Server
	RDB        *redis.Client
	Advance    *advancefake.Server
	Calls      *CallLog
	Arrivals   *ArrivalLog
	ConfigPath string
	Config     *config.Config
	// PingURL answers every GET with a small JSON body at once: the far
	// end of the no-op baseline's one HTTP exchange.
	PingURL  string
	HTTPAddr string
	// RedisPID is the redis-server's process id.
	RedisPID int

	servers []*http.Server
}

// StartEnv starts Redis, the fake provider and the receiver and writes the
// worker's configuration file into a fresh temporary directory.
func StartEnv(ctx context.Context, opts EnvOptions) (_ *Env, err error) {
	dir, err := os.MkdirTemp("", "kycpoller-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench dir: %w", err)
	}
	env := &Env{Dir: dir}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	rdir := filepath.Join(dir, "redis")
	if err := os.Mkdir(rdir, 0o700); err != nil {
		return nil, fmt.Errorf("bench redis dir: %w", err)
	}
	if env.Redis, err = localredis.Start(ctx, localredis.Options{Dir: rdir}); err != nil {
		return nil, err
	}
	env.RDB = redis.NewClient(&redis.Options{Addr: env.Redis.Addr, PoolSize: 64})
	snap, err := redisstats.Take(ctx, env.RDB)
	if err != nil {
		return nil, err
	}
	env.RedisPID = snap.PID

	p := opts.Config
	p.AccessKey, p.SecretKey = "bench-access-"+randomText(6), randomText(24)
	p.WebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(32))
	env.Advance = advancefake.New(advancefake.Options{AccessKey: p.AccessKey, SecretKey: p.SecretKey, AutoScript: true, Latency: opts.Latency})
	env.Calls = newCallLog(env.Advance.Handler(), opts.TrackIDs)
	if p.AdvanceURL, err = env.serve(env.Calls, env.Calls.connState); err != nil {
		return nil, err
	}
	env.Arrivals = newArrivalLog(opts.TrackIDs)
	rcv, err := receiver.New(receiver.Options{Secret: p.WebhookSecret, OnDelivery: env.Arrivals.record})
	if err != nil {
		return nil, fmt.Errorf("bench receiver: %w", err)
	}
	if p.WebhookURL, err = env.serve(rcv, nil); err != nil {
		return nil, err
	}
	if env.PingURL, err = env.serve(http.HandlerFunc(ping), nil); err != nil {
		return nil, err
	}
	p.RedisAddr = env.Redis.Addr
	if p.HTTPAddr, err = sandbox.FreeAddr(); err != nil {
		return nil, err
	}
	env.HTTPAddr = p.HTTPAddr
	env.ConfigPath = filepath.Join(dir, "kycpoller.yaml")
	if err := p.WriteFile(env.ConfigPath); err != nil {
		return nil, err
	}
	if env.Config, err = config.Load(env.ConfigPath); err != nil {
		return nil, fmt.Errorf("bench config: %w", err)
	}
	return env, nil
}

// ping is the handler behind PingURL.
func ping(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"code":"SUCCESS"}`))
}

// serve runs h on a fresh loopback listener and returns its base URL.
func (e *Env) serve(h http.Handler, connState func(net.Conn, http.ConnState)) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnState: connState}
	e.servers = append(e.servers, srv)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "bench: http server:", err)
		}
	}()
	return "http://" + l.Addr().String(), nil
}

// Close stops the servers and Redis and removes the directory.
func (e *Env) Close() {
	if e.Advance != nil {
		_ = e.Advance.Close() // ends answers held by the latency
	}
	for _, s := range e.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.Shutdown(ctx)
		cancel()
		_ = s.Close()
	}
	if e.RDB != nil {
		_ = e.RDB.Close()
	}
	if e.Redis != nil {
		e.Redis.Stop()
	}
	_ = os.RemoveAll(e.Dir)
}

func randomText(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
