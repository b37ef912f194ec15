// Package localredis starts a private redis-server process on a free loopback
// port, for tests, benchmarks and the demo. It never touches a Redis that is
// already running on the machine.
package localredis

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
	"time"
)

// ErrNotInstalled is returned when no redis-server binary can be found.
var ErrNotInstalled = errors.New("redis-server not found in PATH: run `make setup` (installs Debian's redis-server) or set KYCPOLLER_REDIS_SERVER")

// Options tunes the server. The zero value is an in-memory server with
// persistence off.
type Options struct {
	// Dir holds the server's working files; a temporary directory is created
	// (and removed by Stop) when empty.
	Dir string
	// Port to listen on; a free port is picked when zero.
	Port int
	// AppendOnly turns on AOF persistence with appendfsync everysec.
	AppendOnly bool
	// Args are extra redis-server arguments, e.g. "--maxmemory", "64mb".
	Args []string
	// ReplicaOf makes the server a replica of this host:port.
	ReplicaOf string
	// TLS serves TLS only (no plain port) with these files.
	TLS *TLSFiles
	// Sentinel runs the server as a Redis Sentinel (redis-server
	// --sentinel) monitoring one master.
	Sentinel *SentinelOptions
}

// Server is a running redis-server.
type Server struct {
	Addr    string
	Dir     string
	cmd     *exec.Cmd
	ownsDir bool
	exited  chan struct{}
	waitErr error
}

// Binary returns the path of redis-server: $KYCPOLLER_REDIS_SERVER, or the
// first redis-server in PATH or /usr/bin and /usr/sbin.
func Binary() (string, error) {
	if p := os.Getenv("KYCPOLLER_REDIS_SERVER"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Start launches redis-server and waits until it answers PING.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: opts.Dir}
	if s.Dir == "" {
		if s.Dir, err = os.MkdirTemp("", "kycpoller-redis-"); err != nil {
			return nil, fmt.Errorf("create redis dir: %w", err)
		}
		s.ownsDir = true
	}
	// A port picked by the kernel can be taken by someone else before
	// redis-server binds it; try a few times.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := opts.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		if lastErr = s.start(ctx, bin, port, opts); lastErr == nil {
			return s, nil
		}
		if opts.Port != 0 {
			break
		}
	}
	s.cleanupDir()
	return nil, lastErr
}

// Restart starts a stopped server again on the same port and directory, as
// after a crash. Use it after Kill or Stop(keepData).
func (s *Server) Restart(ctx context.Context, opts Options) error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	_, portStr, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(portStr)
	return s.start(ctx, bin, port, opts)
}

func (s *Server) start(ctx context.Context, bin string, port int, opts Options) error {
	args, err := s.args(port, opts)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	// Own process group, so a Ctrl-C aimed at the parent does not kill the
	// server before the parent has cleaned up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(s.Addr, opts.TLS); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("redis-server exited at start (port %d): %v; log: %s", port, s.waitErr, s.logTail())
		case <-ctx.Done():
			s.Kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server on port %d did not answer PING within 10s", port)
		}
	}
}

// Kill stops the server with SIGKILL, as a crash would, and keeps its files.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Stop shuts the server down and removes its directory if Start created it.
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

func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ping speaks just enough RESP to check the server is up, so that this
// package needs no Redis client.
func ping(addr string, tlsFiles *TLSFiles) error {
	conn, err := dial(addr, tlsFiles)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected PING reply %q", strings.TrimSpace(line))
	}
	return nil
}
