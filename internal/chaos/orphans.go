package chaos

import (
	"context"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// orphanWatch records the tasks asynq shows as orphaned: active, but held
// by a worker that stopped extending its lease. Each is a task a SIGKILL
// caught in flight, which asynq's recoverer must put back.
type orphanWatch struct {
	mu  sync.Mutex
	ids map[string]bool
}

// watch lists the active tasks of queues every second until ctx ends.
func (o *orphanWatch) watch(ctx context.Context, ins *asynq.Inspector, queues []string) {
	o.mu.Lock()
	o.ids = map[string]bool{}
	o.mu.Unlock()
	for {
		for _, q := range queues {
			active, err := ins.ListActiveTasks(q, asynq.PageSize(1000))
			if err != nil {
				continue // Redis restarting, or the queue not there yet
			}
			o.mu.Lock()
			for _, t := range active {
				if t.IsOrphaned {
					o.ids[q+"/"+t.ID] = true
				}
			}
			o.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// count is the number of distinct tasks seen orphaned.
func (o *orphanWatch) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.ids)
}
