package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// Process is a worker or no-op server running as a child process. Its
// standard error goes to a log file in the scenario's directory; its
// standard output lines (the no-op server's report) to Lines.
type Process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
	// Lines receives the process's standard output, line by line.
	Lines chan string
}

// startProcess starts bin with args, logging to logPath.
func startProcess(name, logPath, bin string, args ...string) (*Process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("%s stdout: %w", name, err)
	}
	// Its own process group, so that a Ctrl-C aimed at the harness reaches
	// the child only through the harness's orderly shutdown; killed with
	// the harness if it dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s (%s; run `make build` first): %w", name, bin, err)
	}
	p := &Process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{}), Lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			select {
			case p.Lines <- line:
			default:
				_, _ = io.WriteString(logFile, line+"\n")
			}
		}
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM and waits up to timeout for the process to exit, then
// kills it.
func (p *Process) Stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.exitErr()
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.exitErr()
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s after SIGTERM: killed", p.name, timeout)
	}
}

func (p *Process) exitErr() error {
	if p.waitErr != nil {
		return fmt.Errorf("%s: %w; log tail:\n%s", p.name, p.waitErr, p.LogTail(20))
	}
	return nil
}

// exitedEarly is the error for a process that exited while it was needed.
func (p *Process) exitedEarly() error {
	return fmt.Errorf("%s exited early (%v); log tail:\n%s", p.name, p.waitErr, p.LogTail(20))
}

// LogTail returns the last n lines of the process's log.
func (p *Process) LogTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// waitHealthy waits until url answers 200, the process exits or ctx ends.
func (p *Process) waitHealthy(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := sandbox.WaitHealthy(ctx, url, p.done)
	switch {
	case errors.Is(err, sandbox.ErrExited):
		return p.exitedEarly()
	case err != nil:
		return fmt.Errorf("%s not healthy at %s within %s: %w", p.name, url, timeout, err)
	}
	return nil
}

// waitFor polls cond every 20 ms until it holds, the process exits, or
// timeout passes; what names the awaited state in the error.
func (p *Process) waitFor(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		select {
		case <-p.done:
			return p.exitedEarly()
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
