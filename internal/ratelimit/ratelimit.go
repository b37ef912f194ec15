// Package ratelimit bounds the calls to each provider across every worker
// process, through Redis:
//
//   - a GCRA limit per provider (providers.<name>.rate_limit: rps, burst),
//     shared by every process (github.com/go-redis/redis_rate);
//   - a fleet-wide pause per provider, set when the provider answers
//     "slow down" (HTTP 429, SERVICE_BUSY, REQUEST_TRAFFIC_EXCEED_LIMIT):
//     until it ends, no process calls that provider. The process that got
//     the answer pauses at once; the others see the pause within
//     PauseRecheck (each process re-reads it at most that often, not on
//     every poll).
//
// Reserve never blocks. It books the caller's turn when that turn is less
// than MaxHold away (the caller waits for it: asynq schedules tasks in whole
// seconds, so finer pacing has to happen in the worker); a turn further away
// is not booked, and the caller reschedules its task instead of holding a
// worker slot. With rate_limit.reschedule_only nothing is booked ahead: a
// caller either goes now or reschedules, at the price of a third to a half
// of the configured rate.
package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
)

// Defaults of Options.
const (
	// DefaultThrottlePause is how long every process leaves a provider
	// alone after it throttled a call without saying for how long.
	DefaultThrottlePause = 2 * time.Second
	// MaxThrottlePause caps a provider's own Retry-After as a fleet pause.
	MaxThrottlePause = 5 * time.Minute
	// PauseRecheck is how long a process trusts what it last read of a
	// provider's pause before reading it from Redis again.
	PauseRecheck = 100 * time.Millisecond
	// MaxHold is how far ahead a turn is booked: the longest a caller waits
	// in place. It matches asynq's one-second scheduling resolution, so that
	// polls put off to the next second fill that whole second.
	MaxHold = time.Second
)

// keyPrefix starts the keys of this package (redis_rate adds its own
// "rate:" in front of the GCRA keys).
const keyPrefix = "kycpoller:provider:"

// Options configures a Limiter.
type Options struct {
	// Limits are the rate limits by provider name; a provider without an
	// enabled limit is only subject to throttling pauses.
	Limits map[string]config.RateLimit
	// ThrottlePause is the pause after a throttling answer without a
	// Retry-After (default DefaultThrottlePause).
	ThrottlePause time.Duration
}

// Limiter is safe for concurrent use.
type Limiter struct {
	rdb    redis.UniversalClient
	gcra   *redis_rate.Limiter
	limits map[string]limit
	pause  time.Duration

	mu     sync.Mutex
	pauses map[string]pauseView // by provider
}

// pauseView is what this process last knew of a provider's pause.
type pauseView struct {
	readAt time.Time // when it was read from Redis or set here
	until  time.Time // zero: no pause
}

// limit is a provider's GCRA limit, and the same with the burst widened by
// maxHold's worth of requests, which is what turns are booked against.
type limit struct {
	exact, booking redis_rate.Limit
	maxHold        time.Duration // MaxHold, or 0 with reschedule_only
}

// New returns a Limiter on rdb.
func New(rdb redis.UniversalClient, opts Options) *Limiter {
	l := &Limiter{
		rdb:    rdb,
		gcra:   redis_rate.NewLimiter(rdb),
		limits: make(map[string]limit),
		pause:  opts.ThrottlePause,
		pauses: make(map[string]pauseView),
	}
	if l.pause <= 0 {
		l.pause = DefaultThrottlePause
	}
	for name, rl := range opts.Limits {
		if rl.Enabled() {
			lim := limit{exact: Limit(rl), maxHold: MaxHold}
			if rl.RescheduleOnly {
				lim.maxHold = 0
			}
			lim.booking = lim.exact
			lim.booking.Burst += int(lim.maxHold / lim.exact.Period)
			l.limits[name] = lim
		}
	}
	return l
}

// Limit converts a configured rate limit to GCRA terms: one request per
// 1/rps seconds, burst at once (at least 1).
func Limit(rl config.RateLimit) redis_rate.Limit {
	return redis_rate.Limit{
		Rate:   1,
		Period: time.Duration(float64(time.Second) / rl.RPS),
		Burst:  max(rl.Burst, 1),
	}
}

func pauseKey(provider string) string { return keyPrefix + provider + ":pause" }
func rateKey(provider string) string  { return keyPrefix + provider }

// Reserve asks to call provider. With hold and retry both 0 the call may go
// now. With hold > 0 the call is booked and may go after hold (at most
// MaxHold; never with reschedule_only). With retry > 0 nothing is booked: the call must not be made,
// and may be asked for again after retry.
func (l *Limiter) Reserve(ctx context.Context, provider string) (hold, retry time.Duration, err error) {
	now := time.Now()
	until, err := l.pausedUntil(ctx, provider, now)
	if err != nil {
		return 0, 0, err
	}
	if now.Before(until) {
		return 0, until.Sub(now), nil
	}
	lim, ok := l.limits[provider]
	if !ok {
		return 0, 0, nil
	}
	res, err := l.gcra.Allow(ctx, rateKey(provider), lim.booking)
	if err != nil {
		return 0, 0, fmt.Errorf("%s rate limit: %w", provider, err)
	}
	if res.Allowed == 0 {
		return 0, max(res.RetryAfter, time.Millisecond), nil
	}
	// The booked turn comes when the exact limit's burst would allow it:
	// ResetAfter is the new theoretical arrival time, less the burst.
	hold = res.ResetAfter - time.Duration(lim.exact.Burst)*lim.exact.Period
	return min(max(hold, 0), lim.maxHold), 0, nil
}

// pausedUntil returns the end of provider's pause (zero: none), read from
// Redis unless this process read or set it less than PauseRecheck ago.
func (l *Limiter) pausedUntil(ctx context.Context, provider string, now time.Time) (time.Time, error) {
	l.mu.Lock()
	v, ok := l.pauses[provider]
	l.mu.Unlock()
	if ok && now.Sub(v.readAt) < PauseRecheck {
		return v.until, nil
	}
	pttl, err := l.rdb.PTTL(ctx, pauseKey(provider)).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s pause: %w", provider, err)
	}
	v = pauseView{readAt: now}
	if pttl > 0 {
		v.until = now.Add(pttl)
	}
	l.remember(provider, v)
	return v.until, nil
}

// remember keeps v unless a newer view is already kept.
func (l *Limiter) remember(provider string, v pauseView) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old, ok := l.pauses[provider]; ok && old.readAt.After(v.readAt) {
		return
	}
	l.pauses[provider] = v
}

// extendPause sets the pause to ARGV[1] ms unless a longer one is running.
var extendPause = redis.NewScript(`
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
`)

// Throttled pauses every process's calls to provider, for retryAfter when
// the provider said (capped at MaxThrottlePause) or the default pause.
func (l *Limiter) Throttled(ctx context.Context, provider string, retryAfter time.Duration) error {
	d := l.pause
	if retryAfter > 0 {
		d = min(retryAfter, MaxThrottlePause)
	}
	now := time.Now()
	if err := extendPause.Run(ctx, l.rdb, []string{pauseKey(provider)}, max(d.Milliseconds(), 1)).Err(); err != nil {
		return fmt.Errorf("pause %s: %w", provider, err)
	}
	// This process pauses at once, without waiting for its next read. A
	// longer pause already running elsewhere shows at that read.
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.pauses[provider]
	v.readAt, v.until = now, later(v.until, now.Add(d))
	l.pauses[provider] = v
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
