package advance

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/verification"
)

func TestTokenRequestAcceptedByFake(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client(func(o *Options) { o.TokenPeriod = 2 * time.Hour })
	tok, err := c.fetchToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The fake caps lifetimes at its TokenTTL (1h): the answer wins over
	// what was asked.
	if lifetime := time.Duration(tok.ExpiresAt-time.Now().UnixMilli()) * time.Millisecond; lifetime < 59*time.Minute || lifetime > time.Hour {
		t.Errorf("token lifetime %s, want about 1h", lifetime)
	}
	if margin := time.Duration(tok.ExpiresAt-tok.RefreshAt) * time.Millisecond; margin < 6*time.Minute-time.Second || margin > 6*time.Minute+time.Second {
		t.Errorf("refresh margin %s, want 10%% of 1h", margin)
	}
	if e.fake.TokenRequests() != 1 {
		t.Errorf("TokenRequests = %d, want 1", e.fake.TokenRequests())
	}
}

func TestTokenBadCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client(func(o *Options) { o.SecretKey = "SK-wrong-secret" })
	e.fake.Register("x", advancefake.Script{})
	_, err := check(t, e, c, "x")
	if ce := configErr(t, err); ce.Code != "PARAMETER_ERROR" {
		t.Errorf("code %s, want PARAMETER_ERROR", ce.Code)
	}
	if strings.Contains(err.Error(), "SK-wrong-secret") {
		t.Errorf("error leaks the secret: %v", err)
	}
	if e.fake.TotalCalls() != 0 {
		t.Error("Get Result was called without a token")
	}
}

func TestTokenEndpointAnswers(t *testing.T) {
	t.Parallel()
	const js = "application/json"
	exp := time.Now().Add(time.Hour).UnixMilli()
	tests := []struct {
		name      string
		h         http.HandlerFunc
		transient string
		config    string
	}{
		{"ACCOUNT_DISABLED", rawAnswer(200, js, `{"code":"ACCOUNT_DISABLED","message":"x"}`), "", "ACCOUNT_DISABLED"},
		{"CLIENT_ERROR", rawAnswer(200, js, `{"code":"CLIENT_ERROR"}`), "", "CLIENT_ERROR"},
		{"IAM_FAILED", rawAnswer(200, js, `{"code":"IAM_FAILED"}`), "", "IAM_FAILED"},
		{"HTTP 403", rawAnswer(403, js, `{}`), "", "http_403"},
		{"ERROR", rawAnswer(200, js, `{"code":"ERROR"}`), "ERROR", ""},
		{"SERVICE_BUSY", rawAnswer(200, js, `{"code":"SERVICE_BUSY"}`, "Retry-After", "3"), "SERVICE_BUSY", ""},
		{"HTTP 503", rawAnswer(503, "text/html", `<html></html>`), "http_503", ""},
		{"garbage", rawAnswer(200, js, `{"code":"SUCC`), "invalid_json", ""},
		{"no token", rawAnswer(200, js, fmt.Sprintf(`{"code":"SUCCESS","data":{"expiredTime":%d}}`, exp)), "invalid_token_response", ""},
		{"token with a newline", rawAnswer(200, js, fmt.Sprintf(`{"code":"SUCCESS","data":{"token":"a\nb","expiredTime":%d}}`, exp)), "invalid_token_response", ""},
		{"data null", rawAnswer(200, js, `{"code":"SUCCESS","data":null}`), "invalid_token_response", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var calls atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("POST "+TokenPath, tt.h)
			mux.HandleFunc("POST "+GetResultPath, func(w http.ResponseWriter, r *http.Request) { calls.Add(1) })
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			e.baseURL = srv.URL
			_, err := check(t, e, e.client(), "x")
			if tt.config != "" {
				if ce := configErr(t, err); ce.Code != tt.config {
					t.Errorf("code %s, want %s", ce.Code, tt.config)
				}
			} else if te := transient(t, err); te.Code != tt.transient {
				t.Errorf("code %s, want %s", te.Code, tt.transient)
			}
			if calls.Load() != 0 {
				t.Error("Get Result was called without a token")
			}
		})
	}
}

func TestTokenExpiryMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, rawAnswer(200, "application/json", `{"code":"SUCCESS","data":{"token":"t-1","expiredTime":null}}`))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.baseURL = srv.URL
	c := e.client(func(o *Options) { o.TokenPeriod = 10 * time.Minute })
	start := time.Now()
	tok, err := c.fetchToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := time.UnixMilli(tok.ExpiresAt).Sub(start); got < 10*time.Minute-time.Second || got > 10*time.Minute+time.Second {
		t.Errorf("assumed lifetime %s, want the requested 10m", got)
	}
}

// Two clients stand for two worker processes sharing one Redis.
func TestTokenSharedAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true, Latency: 20 * time.Millisecond})
	var refreshes atomic.Int32
	hook := func(o *Options) { o.OnTokenRefresh = func() { refreshes.Add(1) } }
	a, b := e.client(hook), e.client(hook)

	var wg sync.WaitGroup
	for i := range 100 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := check(t, e, c, fmt.Sprintf("pass-0s-%03d", i))
			if err != nil || res.Status != verification.StatusPass {
				t.Errorf("check %d: %+v, %v", i, res, err)
			}
		}()
	}
	wg.Wait()
	if got := e.fake.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1", got)
	}
	if got := refreshes.Load(); got != 1 {
		t.Errorf("OnTokenRefresh called %d times, want 1", got)
	}
	if got := e.fake.TotalCalls(); got != 100 {
		t.Errorf("TotalCalls = %d, want 100", got)
	}

	// The shared entry lives under the documented key, holds no key
	// material, and expires before the token does.
	ctx := context.Background()
	key := CacheKey(e.baseURL, testAccessKey)
	raw, err := e.rdb.Get(ctx, key).Result()
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	if strings.Contains(raw, testAccessKey) || strings.Contains(raw, testSecretKey) {
		t.Error("the cache entry holds a key")
	}
	ttl := e.rdb.PTTL(ctx, key).Val()
	if ttl <= 50*time.Minute || ttl > 54*time.Minute {
		t.Errorf("PTTL = %s, want the 1h token's refresh point (54m)", ttl)
	}
	if n := e.rdb.Exists(ctx, key+":lock").Val(); n != 0 {
		t.Error("the fetch lock was not released")
	}
}

// While the process's token is fresh, polls need no Redis at all.
func TestTokenLocalCache(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true, Now: clk.Now, TokenTTL: 10 * time.Minute})
	// No retries: Redis is about to be gone for good.
	rdb := redis.NewClient(&redis.Options{Addr: e.redis.Addr, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	c := e.client(func(o *Options) { o.Now = clk.Now; o.Redis = rdb })
	if _, err := check(t, e, c, "pass-0s-a"); err != nil {
		t.Fatal(err)
	}
	e.redis.Kill()
	for i := range 5 {
		if _, err := check(t, e, c, fmt.Sprintf("pass-0s-%d", i)); err != nil {
			t.Fatalf("with Redis down and a fresh token: %v", err)
		}
	}
	// Past the refresh point the token must come through Redis again.
	clk.Add(9 * time.Minute)
	_, err := check(t, e, c, "pass-0s-b")
	if te := transient(t, err); te.Code != "token_cache" {
		t.Errorf("error %v, want code token_cache", err)
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1 (no fetching without the shared lock)", got)
	}
	e.redis = nil // nothing left to read tokens from in the leak check
}

func TestTokenExpiryRefreshesOnce(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true, Now: clk.Now, TokenTTL: 2 * time.Minute})
	now := func(o *Options) { o.Now = clk.Now; o.TokenPeriod = 2 * time.Minute }
	a, b := e.client(now), e.client(now)

	if _, err := check(t, e, a, "pass-0s-first"); err != nil {
		t.Fatal(err)
	}
	if _, err := check(t, e, b, "pass-0s-first"); err != nil {
		t.Fatal(err)
	}
	// A 2-minute token is refreshed a minute before it expires.
	clk.Add(59 * time.Second)
	if _, err := check(t, e, a, "pass-0s-x"); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Fatalf("TokenRequests before the refresh point = %d, want 1", got)
	}
	clk.Add(2 * time.Second)

	var wg sync.WaitGroup
	for i := range 60 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := check(t, e, c, fmt.Sprintf("pass-0s-%d", i)); err != nil {
				t.Errorf("check %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if got := e.fake.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests after the refresh point = %d, want 2", got)
	}
	// The old token was never used past its expiry: no IAM_FAILED.
	if e.logged("provider_code", "IAM_FAILED") {
		t.Error("a token was used after it expired")
	}
}

func TestTokenWaitsForLockHolder(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true})
	c := e.client()
	other := e.client()
	ctx := context.Background()

	// Another process holds the lock and is fetching.
	if err := e.rdb.Set(ctx, c.lockKey, "someone-else", 10*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	tok, err := other.fetchToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(150 * time.Millisecond)
		_ = e.rdb.Set(ctx, c.cacheKey, tok.raw, time.Minute).Err()
		_ = e.rdb.Del(ctx, c.lockKey).Err()
	}()
	start := time.Now()
	if _, err := check(t, e, c, "pass-0s-x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("did not wait for the lock holder (%s)", d)
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1 (the other process's)", got)
	}
}

func TestTokenLockExpiresAfterCrash(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true})
	c := e.client()
	// A holder that died: its lock expires on its own.
	if err := e.rdb.Set(context.Background(), c.lockKey, "dead-process", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := check(t, e, c, "pass-0s-x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("fetched while another process held the lock (%s)", d)
	}
	if got := e.fake.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1", got)
	}
}

func TestIAMFailedRefreshesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true})
	c := e.client()
	if _, err := check(t, e, c, "pass-0s-a"); err != nil {
		t.Fatal(err)
	}
	e.fake.InvalidateTokens()
	res, err := check(t, e, c, "pass-0s-b")
	if err != nil || res.Status != verification.StatusPass {
		t.Fatalf("after InvalidateTokens: %+v, %v", res, err)
	}
	if got := e.fake.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests = %d, want 2", got)
	}
	if got := e.fake.Calls("pass-0s-b"); got != 2 {
		t.Errorf("Calls = %d, want 2 (rejected, then retried once)", got)
	}
	if !e.logged("provider_code", "IAM_FAILED") {
		t.Error("the rejection was not logged")
	}
}

func TestIAMFailedConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true, Latency: 10 * time.Millisecond})
	a, b := e.client(), e.client()
	for _, c := range []*Client{a, b} {
		if _, err := check(t, e, c, "pass-0s-warm"); err != nil {
			t.Fatal(err)
		}
	}
	e.fake.InvalidateTokens()
	var wg sync.WaitGroup
	for i := range 40 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := check(t, e, c, fmt.Sprintf("pass-0s-%d", i)); err != nil {
				t.Errorf("check %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if got := e.fake.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests = %d, want 2", got)
	}
}

func TestIAMFailedTwiceIsConfigError(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client()
	e.fake.Register("x", advancefake.Script{Faults: []advancefake.Fault{{Kind: advancefake.IAMFailed}, {Kind: advancefake.IAMFailed}}})
	_, err := check(t, e, c, "x")
	if ce := configErr(t, err); ce.Code != "IAM_FAILED" {
		t.Errorf("code %s, want IAM_FAILED", ce.Code)
	}
	if got := e.fake.TokenRequests(); got != 2 {
		t.Errorf("TokenRequests = %d, want 2", got)
	}
	if got := e.fake.Calls("x"); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
}

func TestInvalidateKeepsNewerToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withFake(advancefake.Options{})
	c := e.client()
	ctx := context.Background()
	old, err := c.fetchToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newer, err := c.fetchToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.rdb.Set(ctx, c.cacheKey, newer.raw, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.cur = newer
	c.mu.Unlock()

	if err := c.invalidateToken(ctx, old); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.loadShared(ctx); got == nil || got.Token != newer.Token {
		t.Error("dropping a stale token deleted the newer shared one")
	}
	c.mu.Lock()
	kept := c.cur == newer
	c.mu.Unlock()
	if !kept {
		t.Error("dropping a stale token cleared the newer local one")
	}

	if err := c.invalidateToken(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.loadShared(ctx); got != nil {
		t.Error("the rejected token is still shared")
	}
}

func TestTokenNotSentInLogsOrErrors(t *testing.T) {
	t.Parallel()
	// Every log line of a busy run, token refreshes and rejections included,
	// is checked by the env's cleanup; this test just makes lots of them.
	e := newEnv(t).withFake(advancefake.Options{AutoScript: true})
	c := e.client()
	e.fake.Register("busy", advancefake.Script{Faults: []advancefake.Fault{
		{Kind: advancefake.IAMFailed}, {Kind: advancefake.Garbage}, {Kind: advancefake.HTML}, {Kind: advancefake.ServiceBusy},
	}})
	for range 6 {
		_, _ = check(t, e, c, "busy")
	}
	_, _ = check(t, e, c, "pending-0s-x")
	_, _ = check(t, e, c, "notfound-0s-x")
	if len(e.logs.All()) == 0 {
		t.Error("nothing was logged")
	}
}
