package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
	"github.com/kycpoller/kycpoller/internal/workerbin"
)

// workerBin is the worker binary built once for the tests that run it as a
// process.
var workerBin string

func TestMain(m *testing.M) {
	os.Exit(workerbin.Main(m, ".", &workerBin))
}

// proc is a worker process.
type proc struct {
	cmd  *exec.Cmd
	done chan error
	logs *syncBuffer
}

func startProc(t *testing.T, configPath, httpAddr string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(workerBin, "-config", configPath), done: make(chan error, 1), logs: &syncBuffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("worker %s logs (tail):\n%s", httpAddr, tail(p.logs.String(), 30))
		}
		p.done <- nil
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker at %s not healthy: %v\n%s", httpAddr, err, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends sig and returns the exit error.
func (p *proc) stop(t *testing.T, sig syscall.Signal, within time.Duration) error {
	t.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(within):
		t.Fatalf("worker did not exit within %v after %v", within, sig)
		return nil
	}
}

// A worker killed with SIGKILL mid-run and started again loses nothing: every
// verification is delivered with its status and one event id, and the two
// worker processes share one provider token.
func TestSIGKILLedWorkerLosesNothing(t *testing.T) {
	t.Parallel()
	// Provider latency keeps polls in flight, so the killed worker holds tasks.
	sb, err := sandbox.Start(context.Background(), sandbox.Options{
		Advance: advancefake.Options{Latency: 400 * time.Millisecond},
		Config:  sandbox.ConfigParams{Jitter: 0.2, ShutdownTimeout: 5 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	secondAddr, err := sandbox.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	secondParams := sb.Params
	secondParams.HTTPAddr = secondAddr
	secondConfig := filepath.Join(sb.Dir, "second.yaml")
	if err := secondParams.WriteFile(secondConfig); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(3, 5))
	want := map[string]verification.Status{}
	for i := range 150 {
		id := fmt.Sprintf("kill-%03d", i)
		o, s := advancefake.OutcomePass, verification.StatusPass
		if rng.IntN(3) == 0 {
			o, s = advancefake.OutcomeFail, verification.StatusFail
		}
		sb.Advance.Register(id, advancefake.Script{ReadyAfter: time.Duration(rng.Int64N(int64(10 * time.Second))), Outcome: o})
		want[id] = s
	}

	a := startProc(t, sb.ConfigPath, sb.Params.HTTPAddr)
	b := startProc(t, secondConfig, secondAddr)
	cfg, err := config.Load(sb.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr})
	defer rdb.Close()
	enq := tasks.NewEnqueuer(rdb, cfg)
	for id := range want {
		if _, err := enq.Enqueue(context.Background(), tasks.Request{Ref: verification.Ref{Provider: "advance", ID: id}}); err != nil {
			t.Fatal(err)
		}
	}

	ins := asynq.NewInspectorFromRedisClient(rdb)
	time.Sleep(2 * time.Second) // let both workers get busy before the crash
	_ = a.stop(t, syscall.SIGKILL, 5*time.Second)
	t.Logf("SIGKILLed worker A with %d of %d events delivered", len(sb.Receiver.EventIDs()), len(want))
	time.Sleep(time.Second)
	startProc(t, sb.ConfigPath, sb.Params.HTTPAddr)

	// Tasks the killed worker held stay active until their asynq lease
	// (30 s) expires; they show as orphaned, and a recoverer (every minute)
	// puts them back. Watch for them, so the test proves it killed a worker
	// that was holding work.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	orphans := map[string]bool{}
	for len(sb.Receiver.EventIDs()) < len(want) {
		active, err := ins.ListActiveTasks(cfg.Worker.Queues.Poll.Name)
		if err == nil {
			for _, ti := range active {
				if ti.IsOrphaned {
					orphans[ti.ID] = true
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after the crash: %d of %d delivered", len(sb.Receiver.EventIDs()), len(want))
		case <-time.After(500 * time.Millisecond):
		}
	}
	if len(orphans) == 0 {
		t.Fatal("no task was orphaned by the SIGKILL: the test did not exercise recovery")
	}
	t.Logf("%d poll tasks orphaned by the SIGKILL were recovered", len(orphans))
	byV := sb.Receiver.ByVerification()
	for id, status := range want {
		ids := map[string]bool{}
		for _, d := range byV["advance/"+id] {
			ids[d.EventID] = true
			if d.Event.Data.Status != status {
				t.Errorf("%s: status %s, want %s", id, d.Event.Data.Status, status)
			}
		}
		if len(ids) != 1 {
			t.Errorf("%s: %d distinct event ids, want 1", id, len(ids))
		}
	}
	if got := sb.Advance.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1 shared by every worker process", got)
	}
	if err := b.stop(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Errorf("worker B exit after SIGTERM: %v, want status 0", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
