package schedulesim

import (
	"fmt"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/poller"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// Strategy is one way of polling that Run compares.
type Strategy struct {
	// Name labels the strategy's row.
	Name string
	// Schedule is played through poller.Schedule's own methods.
	Schedule poller.Schedule
	// Callbacks, when set, nudge the next poll when the provider calls
	// back.
	Callbacks *Callbacks
	// Dispatch, when set, replaces Options.Dispatch for this strategy: a
	// worker setting that the strategy depends on.
	Dispatch *Dispatch
	// Goal is what the row is checked against; the zero Goal checks nothing.
	Goal Goal
}

func (s Strategy) validate() error {
	if err := s.Schedule.Validate(); err != nil {
		return fmt.Errorf("strategy %q: %w", s.Name, err)
	}
	if s.Callbacks != nil {
		if err := s.Callbacks.validate(); err != nil {
			return fmt.Errorf("strategy %q: %w", s.Name, err)
		}
	}
	if s.Dispatch != nil {
		if err := s.Dispatch.validate(); err != nil {
			return fmt.Errorf("strategy %q: %w", s.Name, err)
		}
	}
	return nil
}

// Settings describes the strategy's schedule in configuration terms.
func (s Strategy) Settings() string {
	p := s.Schedule
	var txt string
	if p.Multiplier == 1 || p.InitialInterval == p.MaxInterval {
		txt = "every " + duration(p.InitialInterval)
	} else {
		txt = fmt.Sprintf("%s ×%g up to %s", duration(p.InitialInterval), p.Multiplier, duration(p.MaxInterval))
	}
	if p.FirstDelay > 0 {
		txt = fmt.Sprintf("first at %s, then %s", duration(p.FirstDelay), txt)
	}
	if p.Jitter > 0 {
		txt += fmt.Sprintf(", ±%g%%", p.Jitter*100)
	}
	if c := s.Callbacks; c != nil {
		txt += fmt.Sprintf("; callbacks after %s–%s, %g%% lost", duration(c.DelayMin), duration(c.DelayMax), c.LossRate*100)
	}
	if d := s.Dispatch; d != nil {
		txt += fmt.Sprintf("; task_check_interval %s", duration(d.TaskCheckInterval))
	}
	return txt
}

// DefaultSchedule is the schedule of a configuration that sets no polling
// key: config.ApplyDefaults's values, converted as the worker converts them.
func DefaultSchedule() poller.Schedule {
	// Jitter is pre-filled by config.Load, not ApplyDefaults: an explicit
	// "jitter: 0" must stay 0.
	cfg := config.Config{Polling: config.Polling{Jitter: config.DefaultJitter}}
	cfg.ApplyDefaults()
	return tasks.ScheduleFromConfig(cfg.Polling)
}

// FixedSchedule polls every interval, without jitter, with the default
// deadline.
func FixedSchedule(interval time.Duration) poller.Schedule {
	s := DefaultSchedule()
	s.FirstDelay = 0
	s.InitialInterval, s.MaxInterval = interval, interval
	s.Multiplier = 1
	s.Jitter = 0
	return s
}

// CallbackSchedule is the polling that makes ADVANCE.AI's callbacks pay
// off: the callback brings the result, so the first poll waits until most
// verifications are final and polls then follow the provider's advice of
// no more than one every 10 minutes, without jitter so that no interval is
// shorter (enqueue times spread the polls already). It is the fallback for
// the callbacks that never arrive. The polling section applies to every
// provider, so it suits deployments whose other verifications are nudged
// too (ZOLOZ sends no callback; the merchant's page can nudge).
//
//	polling:
//	  first_delay: 10m
//	  initial_interval: 10m
//	  max_interval: 10m
//	  jitter: 0
func CallbackSchedule() poller.Schedule {
	s := DefaultSchedule()
	s.FirstDelay = 10 * time.Minute
	s.InitialInterval, s.MaxInterval = 10*time.Minute, 10*time.Minute
	s.Jitter = 0
	return s
}

// CallbackDispatch is the worker setting that keeps a nudged poll's
// pick-up latency well under a second on an idle worker:
//
//	worker:
//	  task_check_interval: 200ms
//
// An idle worker then looks for tasks five times a second instead of once,
// one cheap Redis script per look.
func CallbackDispatch() Dispatch {
	d := DefaultDispatch()
	d.TaskCheckInterval = 200 * time.Millisecond
	return d
}

// DefaultScheduleName names the default schedule's row, the first of
// DefaultStrategies: its Calls is the provider calls per verification of a
// worker with the default configuration.
const DefaultScheduleName = "default schedule"

// RecommendedName names the row of the recommended callback set-up:
// CallbackSchedule with callbacks and CallbackDispatch, none lost.
const RecommendedName = "recommended: callback schedule + callbacks"

// DefaultStrategies are the strategies of the benchmark's table: the
// default schedule, fixed polling every 10 s and every 10 minutes, the
// default schedule with callbacks, and CallbackSchedule with callbacks on a
// default worker, then with CallbackDispatch, none and 1% of the callbacks
// lost.
func DefaultStrategies() []Strategy {
	cb := DefaultCallbacks()
	lossy := cb
	lossy.LossRate = 0.01
	fast := CallbackDispatch()
	return []Strategy{
		{Name: DefaultScheduleName, Schedule: DefaultSchedule(), Goal: ScheduleGoal},
		{Name: "fixed 10 s", Schedule: FixedSchedule(10 * time.Second)},
		{Name: "fixed 10 min", Schedule: FixedSchedule(10 * time.Minute)},
		{Name: "default schedule + callbacks", Schedule: DefaultSchedule(), Callbacks: &cb},
		{Name: "callback schedule + callbacks, default worker", Schedule: CallbackSchedule(), Callbacks: &cb, Goal: CallbackGoal},
		{Name: RecommendedName, Schedule: CallbackSchedule(), Callbacks: &cb, Dispatch: &fast, Goal: CallbackGoal},
		{Name: "recommended, 1% of callbacks lost", Schedule: CallbackSchedule(), Callbacks: &lossy, Dispatch: &fast, Goal: CallbackGoal},
	}
}
