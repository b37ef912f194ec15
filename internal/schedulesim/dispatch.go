package schedulesim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
)

// Dispatch models how asynq turns "run this task at t" into the moment a
// worker starts it. Times are on an absolute clock whose whole seconds are
// the Unix seconds asynq stores.
//
//   - A retry (every poll after the first) is stored as whole seconds; the
//     worker's retry policy rounds its delay up, so the task is due at the
//     next whole second (tasks.RetryPolicy).
//   - A first poll delayed with polling.first_delay is stored with
//     asynq.ProcessIn, whose whole seconds truncate.
//   - Due tasks are moved to their queue by a forwarder that runs every
//     DelayedTaskCheckInterval (worker.delayed_task_check_interval).
//   - A worker whose queues are empty sleeps TaskCheckInterval/2 plus a
//     random share of TaskCheckInterval between looks
//     (worker.task_check_interval), so a task that becomes pending waits
//     for the end of the current sleep. This is the pick-up latency of a
//     nudged poll on an idle worker; a busy worker picks tasks up at once
//     (TaskCheckInterval 0 models that).
//
// Provider response time is left out: delays end when the poll that finds
// the result starts.
type Dispatch struct {
	DelayedTaskCheckInterval time.Duration
	TaskCheckInterval        time.Duration
}

// DefaultDispatch is the dispatch of a worker with the default
// configuration.
func DefaultDispatch() Dispatch {
	var cfg config.Config
	cfg.ApplyDefaults()
	return Dispatch{
		DelayedTaskCheckInterval: cfg.Worker.DelayedTaskCheckInterval,
		TaskCheckInterval:        cfg.Worker.TaskCheckInterval,
	}
}

func (d Dispatch) validate() error {
	if d.DelayedTaskCheckInterval < 0 || d.TaskCheckInterval < 0 {
		return errors.New("dispatch intervals must not be negative")
	}
	return nil
}

// String describes the dispatch settings.
func (d Dispatch) String() string {
	return fmt.Sprintf("delayed_task_check_interval %v, task_check_interval %v",
		d.DelayedTaskCheckInterval, d.TaskCheckInterval)
}

// retryDue is when a retry asked for at now+delay is due.
func retryDue(now, delay time.Duration) time.Duration {
	at := now + delay
	if whole := at.Truncate(time.Second); whole < at {
		return whole + time.Second
	}
	return at
}

// scheduledDue is when a task enqueued at now with ProcessIn(delay) is due.
func scheduledDue(now, delay time.Duration) time.Duration {
	return (now + delay).Truncate(time.Second)
}

// forwarded is when the forwarder moves a task due at due to its queue: at
// its first run at or after due. Runs are periodic with a phase unknown to
// the task, so the wait is uniform over one interval.
func (d Dispatch) forwarded(due time.Duration, rng *rand.Rand) time.Duration {
	if d.DelayedTaskCheckInterval <= 0 {
		return due
	}
	return due + uniform(0, d.DelayedTaskCheckInterval, rng)
}

// pickup is how long a task that just became pending waits for an idle
// worker: the rest of the worker's current sleep. Sleeps last between
// TaskCheckInterval/2 and 3·TaskCheckInterval/2; the sleep a random moment
// falls in is drawn length-biased, and the moment uniformly within it.
func (d Dispatch) pickup(rng *rand.Rand) time.Duration {
	if d.TaskCheckInterval <= 0 {
		return 0
	}
	a, b := float64(d.TaskCheckInterval)/2, 3*float64(d.TaskCheckInterval)/2
	sleep := math.Sqrt(a*a + rng.Float64()*(b*b-a*a))
	return time.Duration(rng.Float64() * sleep)
}

// uniform draws from [lo, hi).
func uniform(lo, hi time.Duration, rng *rand.Rand) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}
