// Package chaos runs kycpoller's chaos scenario: thousands of verifications
// polled by real worker processes while the providers fail, throttle and
// answer garbage, the webhook receiver fails and goes down, workers are
// killed with SIGKILL and Redis restarts; then it checks that every
// verification was delivered once per event id, with the right status, and
// never before the provider had a final result. `make chaos` (cmd/chaos)
// runs the full scenario; a scaled-down one runs in `make test`.
package chaos

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Options describe one scenario. Zero fields take the full scenario's
// values (see Full); WorkerBin is required.
type Options struct {
	// WorkerBin is the worker binary run as processes (bin/worker).
	WorkerBin string
	// Dir holds Redis' files, the configuration files and the worker logs.
	// A temporary directory is used when empty: removed after a passing run,
	// kept (and named in the error) after a failing one.
	Dir string
	// Seed drives every random choice of the run: the verifications, the
	// fault draws and the chaos timeline.
	Seed uint64
	// Log reports progress; nil logs nothing.
	Log *zap.Logger

	// Verifications is the number of verifications, split between the two
	// providers (default 2000).
	Verifications int
	// FinishWithin bounds the random time, counted from its first poll, at
	// which a verification becomes final at its provider (default 90s).
	FinishWithin time.Duration
	// ChaosFor is how long faults, kills and outages go on, from the first
	// enqueue (default FinishWithin + 30s).
	ChaosFor time.Duration

	// Workers is the number of worker processes (default 3).
	Workers int
	// KillMin and KillMax bound the random pause between two SIGKILLs of a
	// worker picked at random (default 10s and 20s). The killed worker is
	// started again at once.
	KillMin, KillMax time.Duration

	// ProviderFaults are the rates of injected provider faults, per call.
	ProviderFaults FaultRates
	// ThrottleMin and ThrottleMax bound the random pause between two
	// throttling bursts (default 15s and 25s); each burst lasts
	// ThrottleFor (default 3s) at one provider picked at random.
	ThrottleMin, ThrottleMax, ThrottleFor time.Duration

	// ReceiverFailRate is the share of webhook requests answered 500
	// (default 0.2).
	ReceiverFailRate float64
	// ReceiverDownAt and ReceiverDown place the window in which the
	// receiver answers every request 503 (default 20s and 1m).
	ReceiverDownAt, ReceiverDown time.Duration
	// RedisRestartAt is when Redis is shut down (SIGTERM: it writes its
	// AOF and exits) and started again on the same port and directory
	// (default ChaosFor/2).
	RedisRestartAt time.Duration
	// RedisSIGKILL kills Redis with SIGKILL instead: with appendfsync
	// everysec up to the last second of acknowledged writes may be lost
	// (see docs/reliability.md).
	RedisSIGKILL bool

	// Wait bounds how long, after the chaos, the run waits for every
	// verification to be delivered and every queue to drain (default 10m).
	Wait time.Duration
}

// FaultRates are the shares of provider calls answered with each kind of
// fault.
type FaultRates struct {
	HTTP500 float64 // default 0.10
	Timeout float64 // default 0.05: the call hangs past the worker's provider timeout
	// Garbage is split evenly between truncated JSON, an HTML error page
	// and a JSON body sent with a wrong content type (default 0.02).
	Garbage float64
}

// Full is the scenario `make chaos` runs.
func Full() Options { return Options{}.withDefaults() }

// Short is the scaled-down scenario of `make test`: 300 verifications final
// within 30 s, the receiver down for 15 s, a SIGKILL every 10 to 15 s for
// 35 s (so at least two) and one Redis restart.
func Short() Options {
	return Options{
		Verifications:  300,
		FinishWithin:   30 * time.Second,
		ChaosFor:       35 * time.Second,
		KillMin:        10 * time.Second,
		KillMax:        15 * time.Second,
		ThrottleMin:    8 * time.Second,
		ThrottleMax:    12 * time.Second,
		ReceiverDownAt: 8 * time.Second,
		ReceiverDown:   15 * time.Second,
		RedisRestartAt: 18 * time.Second,
		Wait:           5 * time.Minute,
	}.withDefaults()
}

func (o Options) withDefaults() Options {
	o.Verifications = cmp.Or(o.Verifications, 2000)
	o.FinishWithin = cmp.Or(o.FinishWithin, 90*time.Second)
	o.ChaosFor = cmp.Or(o.ChaosFor, o.FinishWithin+30*time.Second)
	o.Workers = cmp.Or(o.Workers, 3)
	o.KillMin = cmp.Or(o.KillMin, 10*time.Second)
	o.KillMax = cmp.Or(o.KillMax, 20*time.Second)
	o.ProviderFaults.HTTP500 = cmp.Or(o.ProviderFaults.HTTP500, 0.10)
	o.ProviderFaults.Timeout = cmp.Or(o.ProviderFaults.Timeout, 0.05)
	o.ProviderFaults.Garbage = cmp.Or(o.ProviderFaults.Garbage, 0.02)
	o.ThrottleMin = cmp.Or(o.ThrottleMin, 15*time.Second)
	o.ThrottleMax = cmp.Or(o.ThrottleMax, 25*time.Second)
	o.ThrottleFor = cmp.Or(o.ThrottleFor, 3*time.Second)
	o.ReceiverFailRate = cmp.Or(o.ReceiverFailRate, 0.2)
	o.ReceiverDownAt = cmp.Or(o.ReceiverDownAt, 20*time.Second)
	o.ReceiverDown = cmp.Or(o.ReceiverDown, time.Minute)
	o.RedisRestartAt = cmp.Or(o.RedisRestartAt, o.ChaosFor/2)
	o.Wait = cmp.Or(o.Wait, 10*time.Minute)
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return o
}

// validate checks the options once defaults are filled in; the error names
// the field.
func (o Options) validate() error {
	var errs []error
	if o.WorkerBin == "" {
		errs = append(errs, errors.New("WorkerBin is required"))
	}
	if o.Verifications < 2 {
		errs = append(errs, fmt.Errorf("Verifications: %d, want at least 2", o.Verifications))
	}
	if o.Workers < 2 {
		errs = append(errs, fmt.Errorf("Workers: %d, want at least 2 so one keeps working while another is killed", o.Workers))
	}
	if o.KillMin <= 0 || o.KillMax < o.KillMin {
		errs = append(errs, fmt.Errorf("KillMin, KillMax: %v, %v, want 0 < KillMin <= KillMax", o.KillMin, o.KillMax))
	}
	if o.ThrottleMin <= 0 || o.ThrottleMax < o.ThrottleMin {
		errs = append(errs, fmt.Errorf("ThrottleMin, ThrottleMax: %v, %v, want 0 < ThrottleMin <= ThrottleMax", o.ThrottleMin, o.ThrottleMax))
	}
	if f := o.ProviderFaults; f.HTTP500 < 0 || f.Timeout < 0 || f.Garbage < 0 || f.HTTP500+f.Timeout+f.Garbage >= 1 {
		errs = append(errs, fmt.Errorf("ProviderFaults: %+v, want rates of 0 or more adding up to less than 1", f))
	}
	if o.ReceiverFailRate < 0 || o.ReceiverFailRate >= 1 {
		errs = append(errs, fmt.Errorf("ReceiverFailRate: %v, want 0 to below 1", o.ReceiverFailRate))
	}
	if o.ReceiverDownAt+o.ReceiverDown > o.ChaosFor {
		errs = append(errs, fmt.Errorf("ReceiverDownAt + ReceiverDown: %v, want at most ChaosFor (%v)", o.ReceiverDownAt+o.ReceiverDown, o.ChaosFor))
	}
	if o.RedisRestartAt >= o.ChaosFor {
		errs = append(errs, fmt.Errorf("RedisRestartAt: %v, want before ChaosFor (%v)", o.RedisRestartAt, o.ChaosFor))
	}
	return errors.Join(errs...)
}
