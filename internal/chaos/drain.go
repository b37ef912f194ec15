package chaos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// progressEvery is how often waitDrained logs progress.
const progressEvery = 15 * time.Second

// waitDrained waits, up to opts.Wait, until every planned verification has
// a delivery and no task is left pending, active, scheduled or retrying in
// the queues: so repeats that asynq's recovery of killed workers' tasks
// may still cause are counted too. It returns an error naming what was
// left when the wait ran out.
func waitDrained(ctx context.Context, opts Options, sb *sandbox.Sandbox, fl *fleet, ins *asynq.Inspector, queues []string, verifications []planned, log *zap.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Wait)
	defer cancel()
	started, lastLog := time.Now(), time.Now()
	for {
		byV := sb.Receiver.ByVerification()
		delivered := 0
		for _, p := range verifications {
			if len(byV[p.Key()]) > 0 {
				delivered++
			}
		}
		left, qerr := busyTasks(ins, queues)
		if delivered == len(verifications) && left == 0 && qerr == nil {
			log.Info("drained", zap.Duration("after_chaos", time.Since(started).Round(time.Millisecond)))
			return nil
		}
		if time.Since(lastLog) >= progressEvery {
			lastLog = time.Now()
			log.Info("waiting", zap.Int("delivered", delivered), zap.Int("tasks_left", left), zap.Duration("after_chaos", time.Since(started).Round(time.Second)))
		}
		if err := fl.restartCrashed(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after waiting %v: %d of %d verifications delivered, %d tasks not done (queue stats error: %v)",
				opts.Wait, delivered, len(verifications), left, qerr)
		case <-time.After(time.Second):
		}
	}
}

// busyTasks counts the tasks pending, active, scheduled or retrying in
// queues.
func busyTasks(ins *asynq.Inspector, queues []string) (int, error) {
	n := 0
	for _, q := range queues {
		info, err := ins.GetQueueInfo(q)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue // nothing was ever enqueued to it
		}
		if err != nil {
			return -1, fmt.Errorf("queue %s: %w", q, err)
		}
		n += info.Pending + info.Active + info.Scheduled + info.Retry
	}
	return n, nil
}

// archivedTasks describes every dead-lettered task: each is a verification
// that may never be delivered.
func archivedTasks(ins *asynq.Inspector, queues []string) ([]string, error) {
	var out []string
	for _, q := range queues {
		tasks, err := ins.ListArchivedTasks(q, asynq.PageSize(1000))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("list archived tasks of %s: %w", q, err)
		}
		for _, t := range tasks {
			out = append(out, fmt.Sprintf("archived task %s in %s after %d retries: %s", t.ID, q, t.Retried, t.LastErr))
		}
	}
	return out, nil
}
