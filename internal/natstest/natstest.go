// Package natstest starts private nats-server processes with JetStream on
// free loopback ports, for tests. It never touches a NATS server that is
// already running on the machine.
package natstest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ErrNotInstalled is returned when no nats-server binary can be found.
var ErrNotInstalled = errors.New("nats-server not found: install Debian's nats-server package (apt-get install nats-server) or set KYCPOLLER_NATS_SERVER")

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 15 * time.Second

// Options tunes the server. The zero value is a JetStream server without
// authentication, storing into a temporary directory.
type Options struct {
	// Dir is the JetStream store directory; a temporary directory is
	// created (and removed by Stop) when empty.
	Dir string
	// Port to listen on; a free port is picked when zero.
	Port int
	// Args are extra nats-server arguments, e.g. "--user", "u", "--pass", "p".
	Args []string
}

// Server is a running nats-server.
type Server struct {
	// URL is nats://127.0.0.1:<port>.
	URL string
	// Port the server listens on; Restart keeps it.
	Port int
	// Dir is the store directory; Restart keeps it.
	Dir string

	args    []string
	ownsDir bool
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// Binary returns the path of nats-server: $KYCPOLLER_NATS_SERVER, or the
// first nats-server in PATH, /usr/sbin or /usr/bin.
func Binary() (string, error) {
	if p := os.Getenv("KYCPOLLER_NATS_SERVER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("KYCPOLLER_NATS_SERVER=%s: %w", p, ErrNotInstalled)
		}
		return p, nil
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Start launches a private nats-server for tb and stops it when the test
// ends. It fails the test (it does not skip) when nats-server is missing:
// a test that silently skips proves nothing.
func Start(tb testing.TB, opts ...Options) *Server {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := StartServer(ctx, o)
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartServer launches nats-server with JetStream and waits until it
// accepts client connections.
func StartServer(ctx context.Context, opts Options) (*Server, error) {
	if _, err := Binary(); err != nil {
		return nil, err
	}
	s := &Server{Dir: opts.Dir, args: opts.Args}
	if s.Dir == "" {
		var err error
		if s.Dir, err = os.MkdirTemp("", "kycpoller-nats-"); err != nil {
			return nil, fmt.Errorf("create nats dir: %w", err)
		}
		s.ownsDir = true
	}
	// A port picked by the kernel can be taken by someone else before the
	// server binds it; try a few times.
	var lastErr error
	for range 5 {
		port := opts.Port
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				s.cleanupDir()
				return nil, err
			}
		}
		if lastErr = s.start(ctx, port); lastErr == nil {
			return s, nil
		}
		if opts.Port != 0 || ctx.Err() != nil {
			break
		}
	}
	s.cleanupDir()
	return nil, lastErr
}

// Restart starts a stopped server again on the same port and directory,
// with its streams, as after a crash. Use it after Kill.
func (s *Server) Restart(ctx context.Context) error {
	return s.start(ctx, s.Port)
}

func (s *Server) start(ctx context.Context, port int) error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	logFile := filepath.Join(s.Dir, "nats-server.log")
	args := append([]string{
		"-js",
		"-sd", s.Dir,
		"-p", strconv.Itoa(port),
		"-a", "127.0.0.1",
		"-l", logFile,
	}, s.args...)
	cmd := exec.Command(bin, args...)
	// Own process group, so that a Ctrl-C aimed at the test does not kill
	// the server before the test has cleaned up; killed with the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start nats-server: %w", err)
	}
	s.cmd = cmd
	s.Port = port
	s.URL = "nats://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(startTimeout)
	for {
		if err := hello(addr); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("nats-server exited at start (port %d): %v; log: %s", port, s.waitErr, tail(logFile))
		case <-ctx.Done():
			s.Kill()
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("nats-server on port %d did not accept connections within %s; log: %s", port, startTimeout, tail(logFile))
		}
	}
}

// Kill stops the server with SIGKILL, as a crash would, and keeps its
// files.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
}

// Stop shuts the server down and removes its directory if StartServer
// created it.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
				s.Kill()
			}
		}
	}
	s.cleanupDir()
}

func (s *Server) cleanupDir() {
	if s.ownsDir {
		_ = os.RemoveAll(s.Dir)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// hello checks that the server greets a client with its INFO line, which it
// sends once JetStream is up.
func hello(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "INFO ") {
		return errors.New("unexpected greeting")
	}
	return nil
}

// tail returns the last lines of a log file, joined on one line.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
