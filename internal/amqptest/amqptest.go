// Package amqptest starts private RabbitMQ nodes on free loopback ports, for
// tests. A node has its own name, ports, Erlang cookie, configuration and
// data directory, so it never touches a RabbitMQ already running on the
// machine (on 5672 or elsewhere).
//
// A node takes several seconds to boot: start one per test package (see
// Shared) and isolate tests by their exchanges and queues.
package amqptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrNotInstalled is returned when no rabbitmq-server can be found.
var ErrNotInstalled = errors.New("rabbitmq-server not found: install Debian's rabbitmq-server package (apt-get install rabbitmq-server) or set KYCPOLLER_RABBITMQ_SERVER to its rabbitmq-server script")

// Timeouts of starting and stopping a node.
const (
	StartTimeout = 90 * time.Second
	stopTimeout  = 30 * time.Second
)

// Options tunes the node. The zero value picks free ports, a temporary
// directory and a random password.
type Options struct {
	// Dir holds the node's configuration, data and logs; a temporary
	// directory is created (and removed by Stop) when empty.
	Dir string
	// Port is the AMQP port, DistPort the Erlang distribution port; free
	// ports are picked when zero.
	Port, DistPort int
	// User and Password of the node's only user (default "kycptest" and a
	// random password).
	User, Password string
}

// Server is a running RabbitMQ node.
type Server struct {
	// URL is amqp://user:password@127.0.0.1:<port>/.
	URL string
	// Addr is 127.0.0.1:<port>.
	Addr string
	// Node is the node name, kycptest-<random>@localhost.
	Node string
	// Dir holds the node's files; Restart keeps them.
	Dir            string
	User, Password string

	port, distPort int
	ownsDir        bool
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	exited         chan struct{}
	waitErr        error
}

// Binary returns the path of the rabbitmq-server script:
// $KYCPOLLER_RABBITMQ_SERVER, Debian's /usr/lib/rabbitmq/bin/rabbitmq-server
// (not the /usr/sbin wrapper, which switches to the rabbitmq user and logs
// to /var/log), or the first rabbitmq-server in PATH.
func Binary() (string, error) {
	if p := os.Getenv("KYCPOLLER_RABBITMQ_SERVER"); p != "" {
		if !fileExists(p) {
			return "", fmt.Errorf("KYCPOLLER_RABBITMQ_SERVER=%s: %w", p, ErrNotInstalled)
		}
		return p, nil
	}
	if p := "/usr/lib/rabbitmq/bin/rabbitmq-server"; fileExists(p) {
		return p, nil
	}
	if p, err := exec.LookPath("rabbitmq-server"); err == nil {
		return p, nil
	}
	return "", ErrNotInstalled
}

// Start launches a private node for tb and stops it when the test ends. It
// fails the test (it does not skip) when RabbitMQ is missing. Prefer Shared:
// a node takes seconds to boot.
func Start(tb testing.TB, opts ...Options) *Server {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	s, err := StartServer(ctx, o)
	if err != nil {
		tb.Fatalf("amqptest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Shared is one node for a whole test package, started by the first test
// that asks for it. Stop it from TestMain after m.Run:
//
//	var rabbit amqptest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		rabbit.Stop()
//		os.Exit(code)
//	}
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Get returns the node, starting it on first use; it fails tb when the
// node cannot start.
func (sh *Shared) Get(tb testing.TB) *Server {
	tb.Helper()
	sh.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
		defer cancel()
		sh.srv, sh.err = StartServer(ctx, Options{})
	})
	if sh.err != nil {
		tb.Fatalf("amqptest: %v", sh.err)
	}
	return sh.srv
}

// Stop stops the node if it was started.
func (sh *Shared) Stop() {
	if sh.srv != nil {
		sh.srv.Stop()
	}
}

// StartServer boots a node and waits until it accepts AMQP connections.
func StartServer(ctx context.Context, opts Options) (*Server, error) {
	if _, err := Binary(); err != nil {
		return nil, err
	}
	s := &Server{
		Dir:      opts.Dir,
		Node:     "kycptest-" + randomHex(6) + "@localhost",
		User:     opts.User,
		Password: opts.Password,
	}
	if s.User == "" {
		s.User = "kycptest"
	}
	if s.Password == "" {
		s.Password = randomHex(12)
	}
	if s.Dir == "" {
		var err error
		if s.Dir, err = os.MkdirTemp("", "kycpoller-rabbitmq-"); err != nil {
			return nil, fmt.Errorf("create rabbitmq dir: %w", err)
		}
		s.ownsDir = true
	}
	// Ports picked by the kernel can be taken by someone else before the
	// node binds them; try a few times.
	var lastErr error
	for range 3 {
		s.port, s.distPort = opts.Port, opts.DistPort
		var err error
		if s.port == 0 {
			if s.port, err = freePort(); err != nil {
				break
			}
		}
		if s.distPort == 0 {
			if s.distPort, err = freePort(); err != nil {
				break
			}
		}
		if lastErr = s.start(ctx); lastErr == nil {
			return s, nil
		}
		if (opts.Port != 0 && opts.DistPort != 0) || ctx.Err() != nil {
			break
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no free port")
	}
	s.cleanupDir()
	return nil, lastErr
}

// Restart boots a stopped node again with the same name, ports and data
// (durable exchanges, queues and persistent messages survive). Use it after
// Kill or Shutdown.
func (s *Server) Restart(ctx context.Context) error {
	return s.start(ctx)
}

func (s *Server) start(ctx context.Context) error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	if err := s.writeConfig(); err != nil {
		return err
	}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	s.URL = (&url.URL{Scheme: "amqp", User: url.UserPassword(s.User, s.Password), Host: s.Addr, Path: "/"}).String()

	out, err := os.OpenFile(filepath.Join(s.Dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open rabbitmq log: %w", err)
	}
	defer out.Close() // the child has its own copy
	cmd := exec.Command(bin)
	cmd.Dir = s.Dir
	cmd.Env = s.env()
	cmd.Stdout, cmd.Stderr = out, out
	// With RABBITMQ_ALLOW_INPUT the script execs the Erlang VM instead of
	// running it behind a signal-forwarding shell, so the child is the VM
	// itself: Pdeathsig then reaches it, and the Erlang shell reading from
	// this pipe halts the VM when the pipe closes. Either way a node never
	// outlives a test binary that crashed. Nothing is ever written to it.
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return fmt.Errorf("rabbitmq stdin: %w", err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start rabbitmq-server: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	for {
		if err := s.ping(); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("rabbitmq-server %s exited at start (AMQP port %d, distribution port %d): %v; log: %s",
				s.Node, s.port, s.distPort, s.waitErr, s.logTail())
		case <-ctx.Done():
			s.Kill()
			return fmt.Errorf("rabbitmq-server %s did not accept AMQP connections within %s: %w; log: %s",
				s.Node, time.Since(start).Round(time.Second), ctx.Err(), s.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeConfig writes the node's own configuration files, so that none of
// the machine's (/etc/rabbitmq) applies.
func (s *Server) writeConfig() error {
	conf := strings.Join([]string{
		"listeners.tcp.1 = " + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		"default_user = " + s.User,
		"default_pass = " + s.Password,
		// A nearly full disk must not block publishers in tests.
		"disk_free_limit.absolute = 1MB",
		"log.console = false",
		"log.file.level = info",
		"",
	}, "\n")
	files := map[string]string{
		"rabbitmq.conf":     conf,
		"rabbitmq-env.conf": "",
		// No plugins: the management plugin would want port 15672.
		"enabled_plugins": "[].\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(content), 0o600); err != nil {
			return fmt.Errorf("write rabbitmq %s: %w", name, err)
		}
	}
	return nil
}

// env is the node's environment: the caller's without any RabbitMQ or
// Erlang setting, plus the node's own.
func (s *Server) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "RABBITMQ_") || strings.HasPrefix(k, "ERL_") || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		// The Erlang cookie lives in $HOME: the node gets its own.
		"HOME="+s.Dir,
		"RABBITMQ_NODENAME="+s.Node,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(s.port),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(s.distPort),
		"RABBITMQ_CONF_ENV_FILE="+filepath.Join(s.Dir, "rabbitmq-env.conf"),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(s.Dir, "rabbitmq.conf"),
		"RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(s.Dir, "advanced.config"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(s.Dir, "enabled_plugins"),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(s.Dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(s.Dir, "log"),
		"RABBITMQ_PLUGINS_EXPAND_DIR="+filepath.Join(s.Dir, "plugins-expand"),
		"RABBITMQ_ALLOW_INPUT=true",
		// Keep the distribution port on loopback; an epmd started by this
		// node (when none runs) listens on loopback too.
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
		"ERL_EPMD_ADDRESS=127.0.0.1",
	)
}

// ping opens and closes an AMQP connection.
func (s *Server) ping() error {
	conn, err := amqp.DialConfig(s.URL, amqp.Config{Dial: amqp.DefaultDial(time.Second)})
	if err != nil {
		return err
	}
	return conn.Close()
}

// Kill stops the node with SIGKILL, as a crash would, and keeps its files.
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

// Shutdown stops the node cleanly (SIGTERM, which RabbitMQ handles as
// `rabbitmqctl stop`) and keeps its files; after stopTimeout the node is
// killed.
func (s *Server) Shutdown() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		// Children the VM started (erl_child_setup) go with it; make sure.
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	case <-time.After(stopTimeout):
		s.Kill()
	}
}

// Stop shuts the node down and removes its directory if StartServer
// created it.
func (s *Server) Stop() {
	s.Shutdown()
	s.cleanupDir()
}

func (s *Server) cleanupDir() {
	if s.ownsDir {
		_ = os.RemoveAll(s.Dir)
	}
}

// logTail returns the last lines of the node's logs, joined on one line.
func (s *Server) logTail() string {
	var lines []string
	for _, name := range []string{filepath.Join("log", "rabbit.log"), "stdout.log"} {
		b, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			continue
		}
		l := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(l) > 5 {
			l = l[len(l)-5:]
		}
		lines = append(lines, l...)
	}
	if len(lines) == 0 {
		return "(no log)"
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
