package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kycpoller/kycpoller/internal/bench/fanout"
	"github.com/kycpoller/kycpoller/internal/bench/redisstats"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Runner runs scenarios.
type Runner struct {
	// WorkerBin is the worker binary (make build's bin/worker).
	WorkerBin string
	// NoopCommand runs the no-op server: a binary and its leading
	// arguments; "-config", "-n" and friends are appended.
	NoopCommand []string
	// CPUProfile, when set, is where the worker of the first overhead run
	// writes its CPU profile.
	CPUProfile string
	// Progress receives one line per step.
	Progress io.Writer
	// IdleWindow is how long the background of an idle server is
	// measured after each busy window (default DefaultIdleWindow).
	IdleWindow time.Duration
}

// Timeouts bounding each wait.
const (
	startTimeout = 15 * time.Second
	stopTimeout  = 30 * time.Second
	// settle lets the last tasks' completion reach Redis after the last
	// observable effect (an answer, a delivery).
	settle = 300 * time.Millisecond
	// DefaultIdleWindow measures the background commands of an idle
	// server (heartbeats, schedulers), subtracted from busy windows.
	DefaultIdleWindow = time.Second
	// enqueueWorkers is how many goroutines enqueue at once.
	enqueueWorkers = 32
)

func (r *Runner) logf(format string, args ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, "    "+format+"\n", args...)
	}
}

// startWorker starts the worker on env's configuration and waits until it
// is healthy.
func (r *Runner) startWorker(ctx context.Context, env *Env, cpuProfile string) (*Process, error) {
	args := []string{"-config", env.ConfigPath}
	if cpuProfile != "" {
		args = append(args, "-cpuprofile", cpuProfile)
	}
	p, err := startProcess("worker", filepath.Join(env.Dir, "worker.log"), r.WorkerBin, args...)
	if err != nil {
		return nil, err
	}
	if err := p.waitHealthy(ctx, "http://"+env.HTTPAddr+"/healthz", startTimeout); err != nil {
		_ = p.Stop(stopTimeout)
		return nil, err
	}
	return p, nil
}

// startNoop starts the no-op server; it reports once n tasks have run.
func (r *Runner) startNoop(env *Env, n int, notReadyFor time.Duration, httpURL string) (*Process, error) {
	args := append(append([]string(nil), r.NoopCommand[1:]...), "-config", env.ConfigPath, "-n", strconv.Itoa(n))
	if notReadyFor > 0 {
		args = append(args, "-not-ready", notReadyFor.String())
	}
	if httpURL != "" {
		args = append(args, "-http", httpURL)
	}
	return startProcess("no-op server", filepath.Join(env.Dir, "noop.log"), r.NoopCommand[0], args...)
}

// enqueuePolls enqueues one poll per id through the Enqueuer every enqueue
// path uses.
func enqueuePolls(ctx context.Context, env *Env, ids []string) error {
	enq := tasks.NewEnqueuer(env.RDB, env.Config)
	return fanout.Each(ctx, ids, enqueueWorkers, func(ctx context.Context, id string) error {
		out, err := enq.Enqueue(ctx, tasks.Request{Ref: verification.Ref{Provider: verification.ProviderAdvance, ID: id}})
		if err != nil {
			return err
		}
		if out != tasks.Queued {
			return fmt.Errorf("enqueue %s: %s, want queued", id, out)
		}
		return nil
	})
}

// ids returns n fake-provider ids: prefix + a number.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%07d", prefix, i)
	}
	return out
}

// window is a busy period measured with INFO, and the idle period after
// it.
type window struct {
	busy, idle redisstats.Delta
}

// commands returns the busy window's commands without the background an
// idle server would have produced in the same time.
func (w window) commands() float64 {
	idleRate := float64(w.idle.Total()) / w.idle.Elapsed.Seconds()
	return float64(w.busy.Total()) - idleRate*w.busy.Elapsed.Seconds()
}

// closeWindow takes the snapshots that end a busy window started at
// before: after settle, then after the idle window.
func (r *Runner) closeWindow(ctx context.Context, env *Env, before redisstats.Snapshot) (window, redisstats.Snapshot, error) {
	if err := sleep(ctx, settle); err != nil {
		return window{}, redisstats.Snapshot{}, err
	}
	end, err := redisstats.Take(ctx, env.RDB)
	if err != nil {
		return window{}, redisstats.Snapshot{}, err
	}
	if err := sleep(ctx, cmp.Or(r.IdleWindow, DefaultIdleWindow)); err != nil {
		return window{}, redisstats.Snapshot{}, err
	}
	idleEnd, err := redisstats.Take(ctx, env.RDB)
	if err != nil {
		return window{}, redisstats.Snapshot{}, err
	}
	return window{busy: end.Sub(before), idle: idleEnd.Sub(end)}, end, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rate is n events per second over [first, last].
func rate(n int, first, last time.Time) float64 {
	d := last.Sub(first).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(n-1) / d
}
