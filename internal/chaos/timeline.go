package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/localredis"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// tick is how often the timeline looks for due events.
const tick = 100 * time.Millisecond

// timeline plays the chaos of one run: worker kills, throttling bursts,
// the receiver's outage and the Redis restart, at times drawn from the
// run's random source.
type timeline struct {
	opts  Options
	rng   *rand.Rand
	sb    *sandbox.Sandbox
	fleet *fleet
	log   *zap.Logger

	kills, redisRestarts, throttles int
}

// run plays the timeline from t0 until opts.ChaosFor has passed.
func (tl *timeline) run(ctx context.Context, t0 time.Time) error {
	o := tl.opts
	end := t0.Add(o.ChaosFor)
	nextKill := t0.Add(tl.between(o.KillMin, o.KillMax))
	nextThrottle := t0.Add(tl.between(o.ThrottleMin, o.ThrottleMax))
	downAt, upAt := t0.Add(o.ReceiverDownAt), t0.Add(o.ReceiverDownAt+o.ReceiverDown)
	redisAt := t0.Add(o.RedisRestartAt)
	down, wasDown := false, false
	defer func() {
		if down {
			tl.sb.Receiver.SetDown(false)
		}
	}()

	for {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		at := zap.Duration("at", now.Sub(t0).Round(time.Millisecond))
		switch {
		case !wasDown && !now.Before(downAt):
			tl.sb.Receiver.SetDown(true)
			down, wasDown = true, true
			tl.log.Info("receiver down", at, zap.Duration("for", o.ReceiverDown))
		case down && !now.Before(upAt):
			tl.sb.Receiver.SetDown(false)
			down = false
			tl.log.Info("receiver up", at)
		}
		if tl.redisRestarts == 0 && !now.Before(redisAt) {
			if err := tl.restartRedis(ctx); err != nil {
				return err
			}
			tl.log.Info("redis restarted", at, zap.Duration("took", time.Since(now)))
		}
		if !now.Before(nextKill) {
			i := tl.rng.IntN(o.Workers)
			tl.fleet.kill(i)
			tl.kills++
			if err := tl.fleet.start(ctx, i); err != nil {
				return fmt.Errorf("restart worker %d after SIGKILL: %w", i, err)
			}
			tl.log.Info("worker killed and restarted", at, zap.Int("worker", i), zap.Int("kills", tl.kills))
			nextKill = time.Now().Add(tl.between(o.KillMin, o.KillMax))
		}
		if !now.Before(nextThrottle) {
			tl.throttle(at)
			nextThrottle = now.Add(tl.between(o.ThrottleMin, o.ThrottleMax))
		}
		if err := tl.fleet.restartCrashed(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(tick):
		}
	}
	return nil
}

// restartRedis shuts Redis down with SIGTERM (it flushes its AOF and
// exits), or kills it when opts.RedisSIGKILL, and starts it again on the
// same port and directory.
func (tl *timeline) restartRedis(ctx context.Context) error {
	if tl.opts.RedisSIGKILL {
		tl.sb.Redis.Kill()
	} else {
		tl.sb.Redis.Stop()
	}
	if err := tl.sb.Redis.Restart(ctx, localredis.Options{AppendOnly: true}); err != nil {
		return fmt.Errorf("restart redis: %w", err)
	}
	tl.redisRestarts++
	return nil
}

// throttle opens a burst of throttling answers at one provider: SERVICE_BUSY
// or HTTP 429 at ADVANCE.AI, REQUEST_TRAFFIC_EXCEED_LIMIT or HTTP 429 at
// ZOLOZ, each with a Retry-After of 2 s.
func (tl *timeline) throttle(at zap.Field) {
	d := tl.opts.ThrottleFor
	tl.throttles++
	busy := tl.rng.IntN(2) == 0
	if tl.rng.IntN(2) == 0 {
		f := advancefake.Fault{Kind: advancefake.HTTP429, RetryAfter: "2"}
		if busy {
			f = advancefake.Fault{Kind: advancefake.ServiceBusy, RetryAfter: "2s"}
		}
		tl.sb.Advance.Throttle(d, f)
		tl.log.Info("throttling", at, zap.String("provider", "advance"), zap.String("fault", string(f.Kind)), zap.Duration("for", d))
		return
	}
	f := zolozfake.Fault{Kind: zolozfake.HTTP429, RetryAfter: "2"}
	if busy {
		f = zolozfake.Fault{Kind: zolozfake.TrafficLimit, RetryAfter: "2"}
	}
	tl.sb.Zoloz.Throttle(d, f)
	tl.log.Info("throttling", at, zap.String("provider", "zoloz"), zap.String("fault", string(f.Kind)), zap.Duration("for", d))
}

// between returns a random duration in [lo, hi].
func (tl *timeline) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(tl.rng.Int64N(int64(hi-lo)+1))
}
