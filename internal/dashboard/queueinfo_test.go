package dashboard_test

import (
	"testing"
)

// asynqmon's queue page and every task list call Inspector.GetQueueInfo,
// whose memory estimate runs MEMORY USAGE on sampled task keys. This checks
// it against a real Redis with a task in every state, and once more after
// a completed task's retention ran out (its id still listed, its key gone),
// which asynq v0.26.0's script fails on without
// asynqfix.Hook.
func TestGetQueueInfoEveryState(t *testing.T) {
	t.Parallel()
	s := seed(t)
	check := func(when string) {
		t.Helper()
		info, err := s.ins.GetQueueInfo(pollQueue)
		if err != nil {
			t.Fatalf("GetQueueInfo %s: %v", when, err)
		}
		got := map[string]int{"active": info.Active, "pending": info.Pending, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed, "aggregating": info.Aggregating}
		for state, n := range got {
			if n != 1 {
				t.Errorf("%s: %d %s tasks, want 1 (%+v)", when, n, state, got)
			}
		}
		if info.MemoryUsage <= 0 {
			t.Errorf("%s: memory usage %d, want > 0", when, info.MemoryUsage)
		}
		if _, err := s.ins.GetQueueInfo(deliverQueue); err != nil {
			t.Errorf("GetQueueInfo %s %s: %v", deliverQueue, when, err)
		}
	}
	check("with every state")
	s.expireCompleted(t)
	check("after a completed task expired")
}
