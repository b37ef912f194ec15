package chaos

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/kycpoller/kycpoller/internal/workerbin"
)

// workerBin is the worker binary, built once for the scenario test.
var workerBin string

func TestMain(m *testing.M) {
	os.Exit(workerbin.Main(m, "../../cmd/worker", &workerBin))
}

// The short scenario: 300 verifications through three worker processes,
// two or more of them SIGKILLed, one Redis restart, faulty providers and a
// failing receiver that is down for 15 s. Every verification is delivered
// with its scripted status, under one event id, after its provider's final
// answer.
func TestShortScenario(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := Short()
	opts.WorkerBin, opts.Dir, opts.Seed = workerBin, dir, 20261122
	opts.Log = zaptest.NewLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()

	fig, err := Run(ctx, opts)
	t.Logf("figures: %s", fig)
	if err != nil {
		logTails(t, dir)
		t.Fatal(err)
	}
	if fig.Kills < 2 || fig.RedisRestarts != 1 {
		t.Errorf("%d kills and %d Redis restarts, want at least 2 and 1", fig.Kills, fig.RedisRestarts)
	}
	if fig.Orphaned == 0 {
		t.Error("no task was orphaned by a SIGKILL: the scenario did not exercise recovery")
	}
	for _, g := range faultGroups {
		if fig.faults(g.kinds...) == 0 {
			t.Errorf("no %s injected: the scenario did not exercise them", g.name)
		}
	}
	if fig.ReceiverDown == 0 || fig.ReceiverRandom == 0 {
		t.Errorf("receiver failures: %d while down, %d at random; want both above 0", fig.ReceiverDown, fig.ReceiverRandom)
	}
}

// logTails logs the end of each worker's log.
func logTails(t *testing.T, dir string) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "worker-*.log"))
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		t.Logf("%s (last lines):\n%s", filepath.Base(l), strings.Join(lines[max(0, len(lines)-20):], "\n"))
	}
}
