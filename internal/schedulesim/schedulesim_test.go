package schedulesim_test

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/schedulesim"
)

// testN keeps the tests fast; the qualitative facts hold at this size.
const testN = 5_000

// defaultRun is one run of the default strategies, shared by the tests.
var defaultRun = sync.OnceValues(func() ([]schedulesim.Row, error) {
	return schedulesim.Run(schedulesim.Options{N: testN, Seed: 1})
})

func run(t *testing.T) map[string]schedulesim.Row {
	t.Helper()
	rows, err := defaultRun()
	if err != nil {
		t.Fatal(err)
	}
	byName := make(map[string]schedulesim.Row, len(rows))
	for _, r := range rows {
		if r.N != testN {
			t.Fatalf("row %q played %d verifications, want %d", r.Strategy, r.N, testN)
		}
		byName[r.Strategy] = r
	}
	return byName
}

func TestDefaultScheduleMeetsItsGoal(t *testing.T) {
	t.Parallel()
	r := run(t)[schedulesim.DefaultScheduleName]
	if !r.Met || !r.Meets(schedulesim.ScheduleGoal) {
		t.Fatalf("default schedule misses %v: %+v", schedulesim.ScheduleGoal, r)
	}
	if r.Calls < 2 {
		t.Errorf("default schedule: %.2f calls per verification, implausibly few", r.Calls)
	}
}

func TestFixedPollingTradesCallsForDelay(t *testing.T) {
	t.Parallel()
	rows := run(t)
	def, fast, slow := rows[schedulesim.DefaultScheduleName], rows["fixed 10 s"], rows["fixed 10 min"]
	if !(fast.Calls > def.Calls && fast.MeanDelay < def.MeanDelay) {
		t.Errorf("fixed 10 s (%.2f calls, %v) should cost more calls than the default (%.2f, %v) for less delay",
			fast.Calls, fast.MeanDelay, def.Calls, def.MeanDelay)
	}
	if !(slow.Calls < def.Calls && slow.MeanDelay > 10*def.MeanDelay) {
		t.Errorf("fixed 10 min (%.2f calls, %v) should cost fewer calls than the default (%.2f, %v) for far more delay",
			slow.Calls, slow.MeanDelay, def.Calls, def.MeanDelay)
	}
	if slow.DelayRatio < 1 {
		t.Errorf("fixed 10 min: mean delay %.0f%% of time-to-final, want more than all of it", slow.DelayRatio*100)
	}
}

func TestCallbacksCutCallsAndDelay(t *testing.T) {
	t.Parallel()
	rows := run(t)
	rec := rows["recommended: callback schedule + callbacks"]
	if !rec.Met || !rec.Meets(schedulesim.CallbackGoal) {
		t.Fatalf("recommended callback setup misses %v: %+v", schedulesim.CallbackGoal, rec)
	}
	idle := rows["callback schedule + callbacks, default worker"]
	if idle.P99Delay <= rec.P99Delay {
		t.Errorf("default task_check_interval p99 %v, want above the recommended setting's %v", idle.P99Delay, rec.P99Delay)
	}
	lossy := rows["recommended, 1% of callbacks lost"]
	// A lost callback costs delay, not calls: the first_delay poll finds
	// most of those results.
	if lossy.MeanDelay < 5*rec.MeanDelay || lossy.Calls > rec.Calls+0.05 {
		t.Errorf("lost callbacks should cost delay, not calls: %+v vs %+v", lossy, rec)
	}
	if d := rows["default schedule + callbacks"]; d.Calls < 2*rec.Calls {
		t.Errorf("callbacks on the default schedule: %.2f calls, want the schedule's own cost, well above %.2f", d.Calls, rec.Calls)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	t.Parallel()
	opts := schedulesim.Options{N: 1000, Seed: 42}
	a, err := schedulesim.Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := schedulesim.Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	opts.Seed = 43
	c, err := schedulesim.Run(opts)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("runs with different seeds are identical")
	}
}

func TestDefaultScheduleFollowsConfigDefaults(t *testing.T) {
	t.Parallel()
	s := schedulesim.DefaultSchedule()
	if s.InitialInterval != config.DefaultInitialInterval || s.MaxInterval != config.DefaultMaxInterval ||
		s.Multiplier != config.DefaultMultiplier || s.Jitter != config.DefaultJitter ||
		s.MaxAge != config.DefaultMaxAge || s.FirstDelay != 0 {
		t.Fatalf("DefaultSchedule = %+v, not the configuration defaults", s)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]schedulesim.Options{
		"median above p99": {Median: time.Hour, P99: time.Minute},
		"negative n":       {N: -1},
		"looping schedule": {Strategies: []schedulesim.Strategy{{Name: "zero"}}},
		"loss above 1":     {Strategies: []schedulesim.Strategy{{Name: "lossy", Schedule: schedulesim.DefaultSchedule(), Callbacks: &schedulesim.Callbacks{LossRate: 2}}}},
	} {
		if _, err := schedulesim.Run(opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMarkdownHasOneLinePerRow(t *testing.T) {
	t.Parallel()
	rows, err := schedulesim.Run(schedulesim.Options{N: 500})
	if err != nil {
		t.Fatal(err)
	}
	md := schedulesim.Markdown(rows)
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != len(rows)+2 {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(rows)+2, md)
	}
	for i, r := range rows {
		if !strings.HasPrefix(lines[i+2], "| "+r.Strategy+" |") {
			t.Errorf("line %d = %q, want row %q", i+2, lines[i+2], r.Strategy)
		}
	}
	if !strings.Contains(md, "missed") || !strings.Contains(md, "met") {
		t.Errorf("table should show both met and missed goals:\n%s", md)
	}
}
