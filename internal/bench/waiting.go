package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/bench/noop"
	"github.com/kycpoller/kycpoller/internal/bench/procstat"
	"github.com/kycpoller/kycpoller/internal/bench/redisstats"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// WaitingResult is one run of the waiting scenario: N verifications polled
// once, not final, waiting for their next poll; next to N no-op tasks that
// asked to run again later. The command figures are of a later poll (each
// verification moved forward and polled a second time): what a waiting
// verification costs at every poll; its first poll also creates its state
// (FirstCommands).
type WaitingResult struct {
	N int
	// Bytes and NoopBytes are Redis used_memory per waiting verification
	// and per waiting no-op task.
	Bytes, NoopBytes float64
	// Commands and NoopCommands are per later not-ready poll and per
	// not-ready no-op run, script-internal included, idle background
	// subtracted. FirstCommands is the same for a verification's first
	// poll.
	Commands, NoopCommands, FirstCommands float64
	// Client and Script split a not-ready poll's commands (MONITOR).
	Client, Script float64
	// Breakdown lists the commands behind Client and Script by name.
	Breakdown string
	// WorkerCPU is the worker's CPU time per not-ready poll.
	WorkerCPU time.Duration
	// RedisCPU is Redis's CPU time per not-ready poll.
	RedisCPU time.Duration
	// Families is Redis memory by key family with every verification
	// waiting.
	Families []redisstats.Family
	// WorkerRSS and WorkerPeakRSS are the worker's VmRSS and VmHWM at the
	// end.
	WorkerRSS, WorkerPeakRSS int64
}

// waitingRetry is how long a not-ready verification waits for its next
// poll: longer than any run.
const waitingRetry = 30 * time.Minute

// WaitingConfig polls once at once, then after waitingRetry.
func WaitingConfig() sandbox.ConfigParams {
	return sandbox.ConfigParams{
		InitialInterval: waitingRetry, MaxInterval: waitingRetry, Multiplier: 1, Jitter: 0,
		MaxAge: 2 * time.Hour, Concurrency: 50, LogLevel: "info",
	}
}

// Waiting runs the waiting scenario once.
func (r *Runner) Waiting(ctx context.Context, n, accountN int) (WaitingResult, error) {
	res := WaitingResult{N: n}
	env, err := StartEnv(ctx, EnvOptions{Config: WaitingConfig()})
	if err != nil {
		return res, err
	}
	defer env.Close()
	retryKey := "asynq:{" + env.Config.Worker.Queues.Poll.Name + "}:retry"
	retried := func(want int) func() (bool, error) {
		return func() (bool, error) {
			got, err := env.RDB.ZCard(ctx, retryKey).Result()
			return got >= int64(want), err
		}
	}

	start, err := redisstats.Take(ctx, env.RDB)
	if err != nil {
		return res, err
	}
	r.logf("waiting: enqueueing %d verifications that never become final", n)
	if err := enqueuePolls(ctx, env, ids("pending-0s-w", n)); err != nil {
		return res, err
	}
	before, err := redisstats.Take(ctx, env.RDB)
	if err != nil {
		return res, err
	}
	redisCPU0, err := procstat.ReadCPU(env.RedisPID)
	if err != nil {
		return res, err
	}
	w, err := r.startWorker(ctx, env, "")
	if err != nil {
		return res, err
	}
	defer func() { _ = w.Stop(stopTimeout) }()
	if err := w.waitFor(ctx, time.Duration(n)*5*time.Millisecond+time.Minute, fmt.Sprintf("%d not-ready polls", n), retried(n)); err != nil {
		return res, err
	}
	cpu, err := procstat.ReadCPU(w.Pid())
	if err != nil {
		return res, err
	}
	redisCPU1, _ := procstat.ReadCPU(env.RedisPID)
	win, end, err := r.closeWindow(ctx, env, before)
	if err != nil {
		return res, err
	}
	mem, err := procstat.ReadMemory(w.Pid())
	if err != nil {
		return res, err
	}
	res.Bytes = float64(end.UsedMemory-start.UsedMemory) / float64(n)
	res.FirstCommands = win.commands() / float64(n)
	res.WorkerCPU = cpu / time.Duration(n)
	res.RedisCPU = (redisCPU1 - redisCPU0) / time.Duration(n)
	res.WorkerRSS, res.WorkerPeakRSS = mem.RSS, mem.Peak
	if err := w.Stop(stopTimeout); err != nil {
		return res, err
	}
	if res.Families, err = redisstats.MemoryByFamily(ctx, env.RDB); err != nil {
		return res, err
	}
	r.logf("waiting: %.0f bytes and %.1f commands per first poll, worker peak RSS %.1f MB", res.Bytes, res.FirstCommands, float64(mem.Peak)/1e6)

	// A later poll: every waiting verification moved forward (with the
	// worker stopped, so the move is not counted) and polled again.
	ins := asynq.NewInspectorFromRedisClient(env.RDB)
	if _, err := ins.RunAllRetryTasks(env.Config.Worker.Queues.Poll.Name); err != nil {
		return res, fmt.Errorf("move waiting polls forward: %w", err)
	}
	if before, err = redisstats.Take(ctx, env.RDB); err != nil {
		return res, err
	}
	if w, err = r.startWorker(ctx, env, ""); err != nil {
		return res, err
	}
	if err := w.waitFor(ctx, time.Duration(n)*5*time.Millisecond+time.Minute, fmt.Sprintf("%d later not-ready polls", n), retried(n)); err != nil {
		return res, err
	}
	if win, _, err = r.closeWindow(ctx, env, before); err != nil {
		return res, err
	}
	res.Commands = win.commands() / float64(n)
	if mem, err = procstat.ReadMemory(w.Pid()); err != nil {
		return res, err
	}
	res.WorkerPeakRSS = max(res.WorkerPeakRSS, mem.Peak)
	if err := w.Stop(stopTimeout); err != nil {
		return res, err
	}
	r.logf("waiting: %.1f commands per later poll", res.Commands)

	if accountN > 0 {
		r.logf("waiting: counting client-issued and script-run commands on %d more (MONITOR)", accountN)
		accounted := ids("pending-0s-a", accountN)
		if err := enqueuePolls(ctx, env, accounted); err != nil {
			return res, err
		}
		// Their first polls, not monitored.
		w, err := r.startWorker(ctx, env, "")
		if err != nil {
			return res, err
		}
		if err := w.waitFor(ctx, time.Minute, "first polls of the accounted", retried(n+accountN)); err != nil {
			_ = w.Stop(stopTimeout)
			return res, err
		}
		if err := w.Stop(stopTimeout); err != nil {
			return res, err
		}
		for _, id := range accounted {
			if err := ins.RunTask(env.Config.Worker.Queues.Poll.Name, tasks.PollTaskID(verification.ProviderAdvance, id)); err != nil {
				return res, fmt.Errorf("move accounted poll forward: %w", err)
			}
		}
		counts, err := r.monitored(ctx, env, func() error {
			w, err := r.startWorker(ctx, env, "")
			if err != nil {
				return err
			}
			defer func() { _ = w.Stop(stopTimeout) }()
			if err := w.waitFor(ctx, time.Minute, "accounted polls", retried(n+accountN)); err != nil {
				return err
			}
			return w.Stop(stopTimeout)
		})
		if err != nil {
			return res, err
		}
		c, s := counts.Total()
		res.Client, res.Script = float64(c)/float64(accountN), float64(s)/float64(accountN)
		res.Breakdown = counts.PerUnit(accountN)
	}

	// asynq's bare task: same count, same payload shape, waiting in the
	// retry set the same way, in an emptied Redis.
	if err := env.RDB.FlushAll(ctx).Err(); err != nil {
		return res, fmt.Errorf("flushall: %w", err)
	}
	start, err = redisstats.Take(ctx, env.RDB)
	if err != nil {
		return res, err
	}
	r.logf("waiting: enqueueing %d no-op tasks that ask to run again later", n)
	if err := noop.Enqueue(ctx, env.RDB, env.Config, ids("noop-w", n), enqueueWorkers); err != nil {
		return res, err
	}
	before, err = redisstats.Take(ctx, env.RDB)
	if err != nil {
		return res, err
	}
	p, err := r.startNoop(env, n, waitingRetry, "")
	if err != nil {
		return res, err
	}
	defer func() { _ = p.Stop(stopTimeout) }()
	if err := p.waitFor(ctx, time.Duration(n)*5*time.Millisecond+time.Minute, fmt.Sprintf("%d not-ready no-op tasks", n), retried(n)); err != nil {
		return res, err
	}
	win, end, err = r.closeWindow(ctx, env, before)
	if err != nil {
		return res, err
	}
	res.NoopBytes = float64(end.UsedMemory-start.UsedMemory) / float64(n)
	res.NoopCommands = win.commands() / float64(n)
	r.logf("waiting: no-op %.0f bytes and %.1f commands per waiting task", res.NoopBytes, res.NoopCommands)
	return res, p.Stop(stopTimeout)
}
