package bench

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/bench/noop"
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/workerbin"
)

// noopEnv makes the test binary act as the no-op server (cmd/bench noop):
// the harness needs it as a separate process.
const noopEnv = "KYCPOLLER_BENCH_TEST_NOOP"

var workerBin string

func TestMain(m *testing.M) {
	if args := os.Getenv(noopEnv); args != "" {
		os.Exit(serveNoop(strings.Fields(args)))
	}
	os.Exit(workerbin.Main(m, "../../cmd/worker", &workerBin))
}

// serveNoop runs the no-op server from "-config PATH -n N [-not-ready D]".
func serveNoop(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var path string
	opts := noop.Options{Report: os.Stdout, RetryIn: time.Second}
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "-config":
			path = args[i+1]
		case "-n":
			_, _ = fmt.Sscan(args[i+1], &opts.Count)
		case "-not-ready":
			opts.NotReady = true
			opts.RetryIn, _ = time.ParseDuration(args[i+1])
		}
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := noop.Serve(ctx, cfg, opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func testRunner(t *testing.T) *Runner {
	t.Helper()
	// The harness appends the no-op server's flags to NoopCommand; a
	// small script passes them to the test binary through the
	// environment.
	script := filepath.Join(t.TempDir(), "noop.sh")
	body := "#!/bin/sh\n" + noopEnv + "=\"$*\" exec '" + os.Args[0] + "' -test.run=^$\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return &Runner{WorkerBin: workerBin, NoopCommand: []string{script}, IdleWindow: 200 * time.Millisecond}
}

// TestScenariosSmoke runs every scenario once with tiny numbers: the
// harness works end to end (processes start and stop, figures are
// plausible). Speed is not asserted: figures from a tiny run on a shared
// machine mean nothing.
func TestScenariosSmoke(t *testing.T) {
	r := testRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mode := Mode{Name: "smoke", Runs: 1, OverheadN: 50, AccountN: 20, WaitingN: 50,
		IOVerifications: 20, IOConcurrency: 20, IOLatency: 10 * time.Millisecond, IOWindow: 3 * time.Second,
		LatencyDuration: time.Second}
	res, err := r.RunAll(ctx, mode, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	o, w := res.Overhead[0], res.Waiting[0]
	if o.PollRate <= 0 || o.DeliveryRate <= 0 || o.NoopRate <= 0 || o.Commands <= 0 || o.Client <= 0 || o.Script <= 0 || o.NoopClient <= 0 {
		t.Errorf("overhead: %+v", o)
	}
	// NoopBytes is not checked: 50 bare tasks after a FLUSHALL are within
	// the allocator's noise, and the delta can come out negative.
	if w.Bytes <= 0 || w.Commands <= 0 || w.FirstCommands <= 0 || w.Client <= 0 || w.WorkerPeakRSS <= 0 {
		t.Errorf("waiting: %+v", w)
	}
	if res.IO[0].PollRate <= 0 {
		t.Errorf("io: %+v", res.IO[0])
	}
	if l := res.Latency[0]; l.Count < 1 || l.P50 <= 0 || l.P99 < l.P50 {
		t.Errorf("latency: %+v", l)
	}
	if rows := res.Rows(); len(rows) < 10 {
		t.Errorf("%d rows", len(rows))
	}
	if c := res.Capacity(12, "test"); !strings.Contains(c, "100 million") {
		t.Errorf("capacity:\n%s", c)
	}
}
