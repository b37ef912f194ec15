package advance

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/provider/providerhttp"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// The token cache
//
// Every worker process shares one access token per (base URL, access key):
//
//   - In process: the token is used without any Redis round trip until its
//     refresh point. Concurrent callers in one process share a single
//     acquisition (tokenFlight).
//   - In Redis: the key kycpoller:advance:token:<16 hex of sha256(base URL,
//     NUL, access key)> holds {"token", "expires_at", "refresh_at"} (epoch ms)
//     and expires at the refresh point (a relative TTL computed on the
//     fetching process's clock, so that a skewed Redis clock cannot keep it
//     past the token's expiry). Readers also check refresh_at themselves.
//   - Fetching: only the holder of <key>:lock (SET NX PX, a random value,
//     released by compare-and-delete) asks the provider. Everyone else polls
//     for the new token or for the lock to disappear (a holder that died
//     loses it after Timeout+lockSlack), then tries again.
//   - IAM_FAILED: the rejected token is deleted from Redis only if it is
//     still the stored one (compare-and-delete), so a token another process
//     has just fetched survives.

const (
	tokenKeyPrefix = "kycpoller:advance:token:"
	// lockSlack is how long the fetch lock outlives one token request.
	lockSlack = 5 * time.Second
	// Waiters re-check Redis this often (plus up to the same again, random).
	waitStep = 25 * time.Millisecond
	// Redis calls made while releasing or storing get their own deadline,
	// so they run even when the caller's context has just ended.
	cleanupTimeout = 2 * time.Second
)

// CacheKey is the Redis key that holds the shared token for one account on
// one host. It is derived from a hash, never the raw access key.
func CacheKey(baseURL, accessKey string) string {
	sum := sha256.Sum256([]byte(baseURL + "\x00" + accessKey))
	return tokenKeyPrefix + hex.EncodeToString(sum[:])[:16]
}

// compareAndDelete deletes KEYS[1] only when it still holds ARGV[1].
var compareAndDelete = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// cachedToken is a token and when to stop using it, as stored in Redis.
type cachedToken struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expires_at"` // epoch ms, the provider's expiredTime
	RefreshAt int64  `json:"refresh_at"` // epoch ms; from then on a new token is fetched

	raw string // the stored encoding, for compare-and-delete
}

func (t *cachedToken) encode() error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode token: %w", err)
	}
	t.raw = string(b)
	return nil
}

// fresh reports whether t may still be used at now.
func (t *cachedToken) fresh(now time.Time) bool {
	return t != nil && now.UnixMilli() < t.RefreshAt
}

// tokenFlight is one acquisition shared by the callers of one process.
type tokenFlight struct {
	done chan struct{}
	// Set before done is closed.
	tok *cachedToken
	err error
	// leaderGaveUp is true when err comes from the leader's own context:
	// waiters then try again with theirs.
	leaderGaveUp bool
}

// token returns a token to use now: the process's own while fresh, else the
// shared one from Redis, else a new one fetched by a single caller across all
// processes.
func (c *Client) token(ctx context.Context) (*cachedToken, error) {
	for {
		c.mu.Lock()
		if c.cur.fresh(c.now()) {
			t := c.cur
			c.mu.Unlock()
			return t, nil
		}
		f := c.flight
		leader := f == nil
		if leader {
			f = &tokenFlight{done: make(chan struct{})}
			c.flight = f
		}
		c.mu.Unlock()

		if leader {
			t, err := c.acquireToken(ctx)
			c.mu.Lock()
			if err == nil {
				c.cur = t
			}
			c.flight = nil
			c.mu.Unlock()
			f.tok, f.err, f.leaderGaveUp = t, err, ctx.Err() != nil
			close(f.done)
			return t, err
		}

		select {
		case <-ctx.Done():
			return nil, providerhttp.ContextError(ctx)
		case <-f.done:
		}
		if f.err == nil || !f.leaderGaveUp {
			return f.tok, f.err
		}
	}
}

// errTokenWait is the cause when acquireToken gives up waiting.
var errTokenWait = errors.New("token wait exceeded")

// acquireToken gets a fresh token from Redis, or fetches one while holding
// the shared lock.
func (c *Client) acquireToken(parent context.Context) (*cachedToken, error) {
	ctx, cancel := context.WithTimeoutCause(parent, c.maxWait, errTokenWait)
	defer cancel()
	fail := func(err error) (*cachedToken, error) {
		if parent.Err() != nil {
			return nil, providerhttp.ContextError(parent)
		}
		if errors.Is(context.Cause(ctx), errTokenWait) {
			return nil, &verification.TransientError{Code: "token_wait", Err: fmt.Errorf("no access token after waiting %s for another worker to fetch one", c.maxWait)}
		}
		return nil, err
	}

	lockValue := randomHex()
	for {
		t, err := c.loadShared(ctx)
		if err != nil {
			return fail(err)
		}
		if t.fresh(c.now()) {
			return t, nil
		}
		ok, err := c.rdb.SetNX(ctx, c.lockKey, lockValue, c.lockTTL).Result()
		if err != nil {
			return fail(cacheError("take token lock", err))
		}
		if ok {
			t, err := c.fetchLocked(ctx, lockValue)
			if err != nil {
				return fail(err)
			}
			return t, nil
		}
		// Someone else is fetching: wait a little and look again.
		step := waitStep + rand.N(waitStep)
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(step):
		}
	}
}

// fetchLocked runs while holding the lock: it checks Redis once more (a
// token may have been stored between our read and our lock), fetches a token
// and stores it.
func (c *Client) fetchLocked(ctx context.Context, lockValue string) (*cachedToken, error) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if err := compareAndDelete.Run(rctx, c.rdb, []string{c.lockKey}, lockValue).Err(); err != nil {
			// It expires on its own after lockTTL.
			c.log.Warn("could not release the token lock", zap.Error(err))
		}
	}()
	t, err := c.loadShared(ctx)
	if err != nil {
		return nil, err
	}
	if t.fresh(c.now()) {
		return t, nil
	}
	t, err = c.fetchToken(ctx)
	if err != nil {
		return nil, err
	}
	ttl := time.Duration(t.RefreshAt-c.now().UnixMilli()) * time.Millisecond
	if ttl > 0 {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if err := c.rdb.Set(sctx, c.cacheKey, t.raw, max(ttl, time.Millisecond)).Err(); err != nil {
			// The token is good; this process uses it, others will fetch
			// their own.
			c.log.Warn("could not share the access token in Redis", zap.Error(err))
		}
	}
	return t, nil
}

// loadShared reads the token stored in Redis; nil when there is none or it
// cannot be decoded.
func (c *Client) loadShared(ctx context.Context) (*cachedToken, error) {
	raw, err := c.rdb.Get(ctx, c.cacheKey).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, cacheError("read shared token", err)
	}
	var t cachedToken
	if json.Unmarshal([]byte(raw), &t) != nil || !validToken(t.Token) {
		// Overwritten by the next fetch.
		return nil, nil
	}
	t.raw = raw
	return &t, nil
}

// invalidateToken forgets t after the provider rejected it: in this process
// if it is still the current token, and in Redis if it is still the stored
// one.
func (c *Client) invalidateToken(ctx context.Context, t *cachedToken) error {
	c.mu.Lock()
	if c.cur != nil && c.cur.Token == t.Token {
		c.cur = nil
	}
	c.mu.Unlock()
	if err := compareAndDelete.Run(ctx, c.rdb, []string{c.cacheKey}, t.raw).Err(); err != nil {
		if ctx.Err() != nil {
			return providerhttp.ContextError(ctx)
		}
		return cacheError("drop rejected token", err)
	}
	return nil
}

// cacheError reports a Redis failure. Without Redis no token can be shared,
// and fetching one per poll would flood the provider, so it is transient.
func cacheError(doing string, err error) error {
	return &verification.TransientError{Code: "token_cache", Err: fmt.Errorf("%s: %w", doing, err)}
}

func randomHex() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}
