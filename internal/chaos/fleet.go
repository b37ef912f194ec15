package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// healthTimeout bounds how long a started worker may take to answer
// /healthz.
const healthTimeout = 30 * time.Second

// stopTimeout bounds a worker's graceful exit after SIGTERM: its
// shutdown_timeout (25 s by default) plus the HTTP listener's 5 s, and some.
const stopTimeout = 40 * time.Second

// fleet is the worker processes, each with its own configuration file (for
// its HTTP address) and log file.
type fleet struct {
	bin     string
	dir     string
	configs []string
	addrs   []string
	log     *zap.Logger

	mu      sync.Mutex
	procs   []*worker
	crashes int // exits nobody asked for
}

// worker is one process of the fleet.
type worker struct {
	cmd    *exec.Cmd
	killed bool // set before a deliberate kill or stop
	exited chan struct{}
	err    error
}

// start runs worker i and waits until it answers /healthz.
func (f *fleet) start(ctx context.Context, i int) error {
	logFile, err := os.OpenFile(filepath.Join(f.dir, fmt.Sprintf("worker-%d.log", i)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("worker %d log: %w", i, err)
	}
	cmd := exec.Command(f.bin, "-config", f.configs[i])
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("start worker %d: %w", i, err)
	}
	w := &worker{cmd: cmd, exited: make(chan struct{})}
	f.mu.Lock()
	f.procs[i] = w
	f.mu.Unlock()
	go func() {
		w.err = cmd.Wait()
		_ = logFile.Close()
		f.mu.Lock()
		crashed := !w.killed
		if crashed {
			f.crashes++
		}
		f.mu.Unlock()
		if crashed {
			f.log.Error("worker exited on its own", zap.Int("worker", i), zap.Error(w.err))
		}
		close(w.exited)
	}()
	return waitHealthy(ctx, f.addrs[i], w.exited)
}

// waitHealthy polls /healthz at addr until it answers 200, the process
// exits, or healthTimeout passes.
func waitHealthy(ctx context.Context, addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	err := sandbox.WaitHealthy(ctx, "http://"+addr+"/healthz", exited)
	switch {
	case errors.Is(err, sandbox.ErrExited):
		return fmt.Errorf("worker at %s exited before it was healthy", addr)
	case err != nil:
		return fmt.Errorf("worker at %s not healthy: %w", addr, err)
	}
	return nil
}

// kill SIGKILLs worker i and waits for it to be gone.
func (f *fleet) kill(i int) {
	f.mu.Lock()
	w := f.procs[i]
	if w != nil {
		w.killed = true
	}
	f.mu.Unlock()
	if w == nil {
		return
	}
	_ = w.cmd.Process.Kill()
	<-w.exited
}

// restartCrashed starts again every worker that exited on its own.
func (f *fleet) restartCrashed(ctx context.Context) error {
	for i := range f.procs {
		f.mu.Lock()
		w := f.procs[i]
		f.mu.Unlock()
		select {
		case <-w.exited:
			if err := f.start(ctx, i); err != nil {
				return err
			}
		default:
		}
	}
	return nil
}

// stop asks every worker to shut down (SIGTERM), then SIGKILLs those still
// running after stopTimeout. It returns the workers that did not exit 0.
func (f *fleet) stop() error {
	f.mu.Lock()
	procs := append([]*worker(nil), f.procs...)
	for _, w := range procs {
		if w != nil {
			w.killed = true
		}
	}
	f.mu.Unlock()
	running := make([]bool, len(procs))
	for i, w := range procs {
		if w == nil {
			continue
		}
		select {
		case <-w.exited:
		default:
			running[i] = true
			_ = w.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(stopTimeout)
	var errs []error
	for i, w := range procs {
		if !running[i] {
			continue
		}
		select {
		case <-w.exited:
			if w.err != nil {
				errs = append(errs, fmt.Errorf("worker %d exit after SIGTERM: %w", i, w.err))
			}
		case <-time.After(time.Until(deadline)):
			_ = w.cmd.Process.Kill()
			<-w.exited
			errs = append(errs, fmt.Errorf("worker %d still running %v after SIGTERM", i, stopTimeout))
		}
	}
	return errors.Join(errs...)
}

// Crashes is the number of worker exits that were not a kill or stop.
func (f *fleet) Crashes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.crashes
}
