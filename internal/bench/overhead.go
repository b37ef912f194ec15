package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hibiken/asynq"

	"github.com/kycpoller/kycpoller/internal/bench/noop"
	"github.com/kycpoller/kycpoller/internal/bench/procstat"
	"github.com/kycpoller/kycpoller/internal/bench/redisstats"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// OverheadResult is one run of the overhead scenario: N verifications final
// on their first poll, delivered to a webhook, next to N no-op tasks on the
// same asynq server settings.
type OverheadResult struct {
	N int
	// PollRate and DeliveryRate are kycpoller's polls and deliveries per
	// second, each timed alone (the delivery queue is paused during the
	// polls); NoopRate the no-op tasks per second.
	PollRate, DeliveryRate, NoopRate float64
	// NoopHTTPRate is no-op tasks per second when each makes one loopback
	// HTTP exchange (NoopHTTPCPU: the server's CPU per task).
	NoopHTTPRate float64
	NoopHTTPCPU  time.Duration
	// VerificationRate is verifications per second, the poll phase and
	// the delivery phase back to back (each verification is two tasks).
	VerificationRate float64
	// Commands per verification and per no-op task, script-internal
	// included (INFO commandstats, idle background subtracted).
	Commands, NoopCommands float64
	// Client and Script split a verification's (and a no-op task's)
	// commands into those clients sent and those Lua scripts ran (MONITOR,
	// on a smaller batch).
	Client, Script, NoopClient, NoopScript float64
	// RetainedBytes is Redis memory per delivered verification while its
	// event and completed tasks are retained.
	RetainedBytes float64
	// Breakdown lists the commands behind Client and Script by name.
	Breakdown, NoopBreakdown string
	// WorkerCPU and NoopCPU are the worker's CPU time per verification
	// and the no-op server's per task; RedisCPU and NoopRedisCPU Redis's.
	WorkerCPU, NoopCPU, RedisCPU, NoopRedisCPU time.Duration
	// HarnessCPU is this process's CPU time per verification: the fake
	// provider and the receiver, sharing the machine with the worker.
	HarnessCPU time.Duration
	// WorkerPeakRSS is the worker's VmHWM.
	WorkerPeakRSS int64
	// Families is Redis memory by key family once every verification was
	// delivered (MEMORY USAGE; the used_memory delta adds allocator and
	// dictionary overhead).
	Families []redisstats.Family
}

// OverheadConfig is the configuration of the overhead and latency
// scenarios: zero-latency provider, final on the first poll, the worker's
// default concurrency.
func OverheadConfig() sandbox.ConfigParams {
	return sandbox.ConfigParams{
		InitialInterval: time.Second, MaxInterval: 5 * time.Second, Multiplier: 2, Jitter: 0.2,
		MaxAge: time.Hour, Concurrency: 50, LogLevel: "info",
	}
}

// Overhead runs the overhead scenario once. accountN verifications (and
// no-op tasks) are counted again under MONITOR to split client-issued from
// script-run commands.
func (r *Runner) Overhead(ctx context.Context, n, accountN int, profile string) (OverheadResult, error) {
	res := OverheadResult{N: n}
	env, err := StartEnv(ctx, EnvOptions{Config: OverheadConfig()})
	if err != nil {
		return res, err
	}
	defer env.Close()

	// kycpoller: enqueue everything first, then let the worker run.
	r.logf("overhead: enqueueing %d verifications (final on the first poll)", n)
	if err := enqueuePolls(ctx, env, ids("pass-0s-o", n)); err != nil {
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
	harnessCPU0, err := procstat.ReadCPU(os.Getpid())
	if err != nil {
		return res, err
	}
	// Polls and deliveries are timed separately: the delivery queue is
	// paused while the polls run, then the deliveries run alone.
	ins := asynq.NewInspectorFromRedisClient(env.RDB)
	deliveryQueue := env.Config.Worker.Queues.Delivery.Name
	if err := ins.PauseQueue(deliveryQueue); err != nil {
		return res, fmt.Errorf("pause the delivery queue: %w", err)
	}
	w, err := r.startWorker(ctx, env, profile)
	if err != nil {
		return res, err
	}
	defer func() { _ = w.Stop(stopTimeout) }()
	wait := time.Duration(n)*5*time.Millisecond + time.Minute
	// One LLEN per look, not the Inspector's queue statistics script: the
	// window's command counts include whatever the harness sends.
	pendingKey := "asynq:{" + deliveryQueue + "}:pending"
	if err := w.waitFor(ctx, wait, fmt.Sprintf("%d deliveries waiting", n), func() (bool, error) {
		got, err := env.RDB.LLen(ctx, pendingKey).Result()
		return got >= int64(n), err
	}); err != nil {
		return res, err
	}
	if err := ins.UnpauseQueue(deliveryQueue); err != nil {
		return res, fmt.Errorf("unpause the delivery queue: %w", err)
	}
	if err := w.waitFor(ctx, wait, fmt.Sprintf("%d deliveries", n), func() (bool, error) {
		return env.Arrivals.Count() >= int64(n), nil
	}); err != nil {
		return res, err
	}
	redisCPU1, _ := procstat.ReadCPU(env.RedisPID)
	harnessCPU1, _ := procstat.ReadCPU(os.Getpid())
	workerCPU, err := procstat.ReadCPU(w.Pid())
	if err != nil {
		return res, err
	}
	win, _, err := r.closeWindow(ctx, env, before)
	if err != nil {
		return res, err
	}
	mem, err := procstat.ReadMemory(w.Pid())
	if err != nil {
		return res, err
	}
	pollFirst, pollLast := env.Calls.Span()
	delFirst, delLast := env.Arrivals.Span()
	res.PollRate = rate(n, pollFirst, pollLast)
	res.DeliveryRate = rate(n, delFirst, delLast)
	// Each verification is a poll and a delivery: the rate of the two
	// phases back to back, without the moment between them.
	res.VerificationRate = float64(n) / (pollLast.Sub(pollFirst) + delLast.Sub(delFirst)).Seconds()
	res.Commands = win.commands() / float64(n)
	res.RetainedBytes = float64(win.busy.Memory) / float64(n)
	res.WorkerCPU = workerCPU / time.Duration(n)
	res.RedisCPU = (redisCPU1 - redisCPU0) / time.Duration(n)
	res.HarnessCPU = (harnessCPU1 - harnessCPU0) / time.Duration(n)
	res.WorkerPeakRSS = mem.Peak
	if err := w.Stop(stopTimeout); err != nil {
		return res, err
	}
	if res.Families, err = redisstats.MemoryByFamily(ctx, env.RDB); err != nil {
		return res, err
	}
	r.logf("overhead: kycpoller %.0f polls/s, %.0f deliveries/s, %.1f commands/verification", res.PollRate, res.DeliveryRate, res.Commands)

	// asynq's ceiling: the same number of no-op tasks, same settings.
	r.logf("overhead: enqueueing %d no-op tasks", n)
	noopIDs := ids("noop-o", n)
	if err := noop.Enqueue(ctx, env.RDB, env.Config, noopIDs, enqueueWorkers); err != nil {
		return res, err
	}
	before, err = redisstats.Take(ctx, env.RDB)
	if err != nil {
		return res, err
	}
	redisCPU0, _ = procstat.ReadCPU(env.RedisPID)
	rep, noopCPU, err := r.runNoop(ctx, env, n, 0, "")
	if err != nil {
		return res, err
	}
	res.NoopCPU = noopCPU / time.Duration(n)
	redisCPU1, _ = procstat.ReadCPU(env.RedisPID)
	win, _, err = r.closeWindow(ctx, env, before)
	if err != nil {
		return res, err
	}
	res.NoopRate = rate(n, time.Unix(0, rep.FirstNS), time.Unix(0, rep.LastNS))
	res.NoopCommands = win.commands() / float64(n)
	res.NoopRedisCPU = (redisCPU1 - redisCPU0) / time.Duration(n)
	r.logf("overhead: no-op %.0f tasks/s, %.1f commands/task", res.NoopRate, res.NoopCommands)

	// The I/O floor: the same no-op tasks, each making one loopback HTTP
	// exchange (a poll and a delivery make one each).
	if err := noop.Enqueue(ctx, env.RDB, env.Config, ids("noop-h", n), enqueueWorkers); err != nil {
		return res, err
	}
	rep, httpCPU, err := r.runNoop(ctx, env, n, 0, env.PingURL)
	if err != nil {
		return res, err
	}
	res.NoopHTTPRate = rate(n, time.Unix(0, rep.FirstNS), time.Unix(0, rep.LastNS))
	res.NoopHTTPCPU = httpCPU / time.Duration(n)
	r.logf("overhead: no-op with one HTTP exchange %.0f tasks/s", res.NoopHTTPRate)

	if accountN > 0 {
		if err := r.accountOverhead(ctx, env, accountN, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// runNoop starts the no-op server, waits for its report on n tasks and
// stops it; it returns the report and the server's CPU time.
func (r *Runner) runNoop(ctx context.Context, env *Env, n int, notReadyFor time.Duration, httpURL string) (rep noop.Report, cpu time.Duration, err error) {
	p, err := r.startNoop(env, n, notReadyFor, httpURL)
	if err != nil {
		return rep, 0, err
	}
	defer func() { _ = p.Stop(stopTimeout) }()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n)*5*time.Millisecond+time.Minute)
	defer cancel()
	select {
	case line := <-p.Lines:
		if err := json.Unmarshal([]byte(line), &rep); err != nil {
			return rep, 0, fmt.Errorf("no-op server report %q: %w", line, err)
		}
	case <-p.Done():
		return rep, 0, p.exitedEarly()
	case <-ctx.Done():
		return rep, 0, fmt.Errorf("waiting for the no-op server to run %d tasks: %w", n, ctx.Err())
	}
	if err := sleep(ctx, settle); err != nil {
		return rep, 0, err
	}
	cpu, err = procstat.ReadCPU(p.Pid())
	if err != nil {
		return rep, 0, err
	}
	return rep, cpu, p.Stop(stopTimeout)
}

// accountOverhead runs n more verifications and n more no-op tasks under
// MONITOR and fills the client/script split.
func (r *Runner) accountOverhead(ctx context.Context, env *Env, n int, res *OverheadResult) error {
	r.logf("overhead: counting client-issued and script-run commands on %d more of each (MONITOR)", n)
	if err := enqueuePolls(ctx, env, ids("pass-0s-a", n)); err != nil {
		return err
	}
	delivered := env.Arrivals.Count()
	counts, err := r.monitored(ctx, env, func() error {
		w, err := r.startWorker(ctx, env, "")
		if err != nil {
			return err
		}
		defer func() { _ = w.Stop(stopTimeout) }()
		if err := w.waitFor(ctx, time.Minute, "accounted deliveries", func() (bool, error) {
			return env.Arrivals.Count() >= delivered+int64(n), nil
		}); err != nil {
			return err
		}
		if err := sleep(ctx, settle); err != nil {
			return err
		}
		return w.Stop(stopTimeout)
	})
	if err != nil {
		return err
	}
	c, s := counts.Total()
	res.Client, res.Script = float64(c)/float64(n), float64(s)/float64(n)
	res.Breakdown = counts.PerUnit(n)

	if err := noop.Enqueue(ctx, env.RDB, env.Config, ids("noop-a", n), enqueueWorkers); err != nil {
		return err
	}
	counts, err = r.monitored(ctx, env, func() error {
		_, _, err := r.runNoop(ctx, env, n, 0, "")
		return err
	})
	if err != nil {
		return err
	}
	c, s = counts.Total()
	res.NoopClient, res.NoopScript = float64(c)/float64(n), float64(s)/float64(n)
	res.NoopBreakdown = counts.PerUnit(n)
	return nil
}

// monitored runs fn with a MONITOR attached and returns what it counted.
// Start-up and shutdown of the process are included: a few dozen commands,
// spread over the batch.
func (r *Runner) monitored(ctx context.Context, env *Env, fn func() error) (redisstats.Counts, error) {
	m, err := redisstats.StartMonitor(env.Redis.Addr)
	if err != nil {
		return redisstats.Counts{}, err
	}
	ferr := fn()
	_ = sleep(ctx, settle)
	counts, merr := m.Stop()
	if ferr != nil {
		return counts, ferr
	}
	return counts, merr
}
