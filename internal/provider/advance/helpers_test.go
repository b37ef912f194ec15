package advance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/localredis"
	"github.com/kycpoller/kycpoller/internal/redistest"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Credentials distinct enough to be found if they leaked.
const (
	testAccessKey = "AK-leakcanary-4711"
	testSecretKey = "SK-leakcanary-0815"
)

// clock is a settable clock shared by a client and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's world: a Redis, a provider (fake or raw) and the logs of
// every client made from it.
type env struct {
	t       *testing.T
	redis   *localredis.Server
	rdb     *redis.Client
	fake    *advancefake.Server
	baseURL string
	logs    *observer.ObservedLogs
	core    zapcore.Core
	clients []*Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := redistest.Start(t)
	core, logs := observer.New(zapcore.DebugLevel)
	e := &env{t: t, redis: srv, rdb: redistest.Client(t, srv), logs: logs, core: core}
	t.Cleanup(e.checkLogs)
	return e
}

// withFake points the env at a new fake ADVANCE.AI server.
func (e *env) withFake(opts advancefake.Options) *env {
	e.t.Helper()
	opts.AccessKey, opts.SecretKey = testAccessKey, testSecretKey
	e.fake = advancefake.Start(e.t, opts)
	e.baseURL = e.fake.URL()
	return e
}

// withRaw points the env at a server whose Get Result answers come from h;
// its token endpoint issues "raw-token" for an hour.
func (e *env) withRaw(h http.HandlerFunc) *env {
	e.t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"code":"SUCCESS","message":"OK","data":{"token":"raw-token","expiredTime":%d}}`, time.Now().Add(time.Hour).UnixMilli())
	})
	mux.HandleFunc("POST "+GetResultPath, h)
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	e.baseURL = srv.URL
	return e
}

// client makes a client for the env; mod adjusts its options.
func (e *env) client(mod ...func(*Options)) *Client {
	e.t.Helper()
	o := Options{
		BaseURL:   e.baseURL,
		AccessKey: testAccessKey,
		SecretKey: testSecretKey,
		Timeout:   5 * time.Second,
		Redis:     e.rdb,
		Logger:    zap.New(e.core),
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := New(o)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	e.clients = append(e.clients, c)
	return c
}

// forbidden lists what must never appear in an error or a log line.
func (e *env) forbidden() []string {
	out := append(advancefake.PersonalData(), testAccessKey, testSecretKey, "raw-token")
	for _, c := range e.clients {
		c.mu.Lock()
		if c.cur != nil {
			out = append(out, c.cur.Token)
		}
		c.mu.Unlock()
	}
	if e.redis != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, c := range e.clients {
			if t, err := c.loadShared(ctx); err == nil && t != nil {
				out = append(out, t.Token)
			}
		}
	}
	return out
}

// noLeak fails the test if s holds personal data, a key or a token.
func (e *env) noLeak(what, s string) {
	e.t.Helper()
	for _, f := range e.forbidden() {
		if f != "" && strings.Contains(s, f) {
			e.t.Errorf("%s leaks %q: %s", what, f, s)
		}
	}
}

// checkErr checks that err's text leaks nothing.
func (e *env) checkErr(err error) {
	e.t.Helper()
	if err != nil {
		e.noLeak("error", err.Error())
	}
}

// checkLogs runs at the end of every test: no log line may leak.
func (e *env) checkLogs() {
	for _, entry := range e.logs.All() {
		line := entry.Message
		for k, v := range entry.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		e.noLeak("log line", line)
	}
}

// logged reports whether a log entry has field key with value val.
func (e *env) logged(key, val string) bool {
	for _, entry := range e.logs.All() {
		if fmt.Sprint(entry.ContextMap()[key]) == val {
			return true
		}
	}
	return false
}

func ref(id string) verification.Ref {
	return verification.Ref{Provider: verification.ProviderAdvance, ID: id}
}

func check(t *testing.T, e *env, c *Client, id string) (verification.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Check(ctx, ref(id))
	e.checkErr(err)
	return res, err
}

// transient returns err's TransientError or fails the test.
func transient(t *testing.T, err error) *verification.TransientError {
	t.Helper()
	te, ok := asTransient(err)
	if !ok {
		t.Fatalf("error %v (%T), want a TransientError", err, err)
	}
	return te
}

func asTransient(err error) (*verification.TransientError, bool) {
	var te *verification.TransientError
	ok := errors.As(err, &te)
	return te, ok
}

func configErr(t *testing.T, err error) *verification.ConfigError {
	t.Helper()
	var ce *verification.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a ConfigError", err, err)
	}
	return ce
}
