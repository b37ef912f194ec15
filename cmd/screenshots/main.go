// Command screenshots takes the dashboard screenshots in docs/screenshots:
// it starts the sandbox (private Redis, fake ADVANCE.AI, webhook receiver)
// and a worker in-process, enqueues verifications that end up in every
// state the dashboard shows (scheduled, retry while not ready, retry after
// provider errors, archived delivery, completed), then has headless
// Chromium render the dashboard's pages to PNG files.
//
//	make screenshots   (needs Debian's chromium: apt-get install chromium)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
	"github.com/kycpoller/kycpoller/internal/worker"
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	browser := flag.String("chromium", "chromium", "Chromium binary")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *out, *browser, *timeout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

// pages are the dashboard URLs (relative to /monitoring) and their files.
var pages = []struct{ file, path string }{
	{"queues.png", "/"},
	{"poll-retry.png", "/queues/kyc_poll?status=retry"},
	{"poll-scheduled.png", "/queues/kyc_poll?status=scheduled"},
	{"delivery-archived.png", "/queues/kyc_delivery?status=archived"},
	{"task-detail.png", "/queues/kyc_poll/tasks/" + tasks.PollTaskID(verification.ProviderAdvance, "flaky-erin")},
}

func run(ctx context.Context, out, browser string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := exec.LookPath(browser); err != nil {
		return fmt.Errorf("%s not found (apt-get install chromium): %w", browser, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	sb, err := sandbox.Start(ctx, sandbox.Options{Config: sandbox.ConfigParams{
		// Slow polls, so that waiting verifications stay in the retry state.
		InitialInterval:      30 * time.Second,
		MaxInterval:          2 * time.Minute,
		ErrorInitialInterval: time.Minute,
		MaxAge:               time.Hour,
		LogLevel:             "warn",
	}})
	if err != nil {
		return err
	}
	defer sb.Close()
	cfg, err := config.Load(sb.ConfigPath)
	if err != nil {
		return err
	}

	w, err := worker.New(cfg, zap.NewNop())
	if err != nil {
		return err
	}
	wctx, stopWorker := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() {
		stopWorker()
		<-done
	}()

	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr})
	defer rdb.Close()
	ins := asynq.NewInspectorFromRedisClient(rdb)
	enqueue := func(c *config.Config, ids ...string) error {
		enq := tasks.NewEnqueuer(rdb, c)
		for _, id := range ids {
			if _, err := enq.Enqueue(ctx, tasks.Request{Ref: verification.Ref{Provider: verification.ProviderAdvance, ID: id}}); err != nil {
				return fmt.Errorf("enqueue %s: %w", id, err)
			}
		}
		return nil
	}

	adv := sb.Advance
	adv.Register("pass-alice", advancefake.Script{Outcome: advancefake.OutcomePass})
	adv.Register("fail-bob", advancefake.Script{Outcome: advancefake.OutcomeFail})
	adv.Register("waiting-carol", advancefake.Script{Outcome: advancefake.OutcomePendingForever})
	adv.Register("waiting-dave", advancefake.Script{Outcome: advancefake.OutcomePendingForever})
	faults := make([]advancefake.Fault, 50)
	for i := range faults {
		faults[i] = advancefake.Fault{Kind: advancefake.HTTP500}
	}
	adv.Register("flaky-erin", advancefake.Script{Faults: faults})
	adv.Register("gone-frank", advancefake.Script{Outcome: advancefake.OutcomePass})

	// Completed: two verifications delivered while the receiver accepts.
	if err := enqueue(cfg, "pass-alice", "fail-bob", "waiting-carol", "waiting-dave", "flaky-erin"); err != nil {
		return err
	}
	if err := sb.Receiver.WaitAccepted(ctx, 2); err != nil {
		return fmt.Errorf("waiting for deliveries: %w", err)
	}
	// Archived: the receiver now answers 410 Gone, which stops retries.
	sb.Receiver.SetStatus(http.StatusGone)
	if err := enqueue(cfg, "gone-frank"); err != nil {
		return err
	}
	// Scheduled: enqueued with a first delay.
	later := *cfg
	later.Polling.FirstDelay = 30 * time.Minute
	if err := enqueue(&later, "later-grace", "later-heidi"); err != nil {
		return err
	}

	poll, delivery := cfg.Worker.Queues.Poll.Name, cfg.Worker.Queues.Delivery.Name
	if err := waitFor(ctx, func() bool {
		p, err1 := ins.GetQueueInfo(poll)
		d, err2 := ins.GetQueueInfo(delivery)
		return err1 == nil && err2 == nil && p.Retry == 3 && p.Scheduled == 2 && p.Completed == 3 && d.Archived == 1 && d.Completed == 2
	}); err != nil {
		return fmt.Errorf("waiting for every state: %w", err)
	}

	base := "http://" + cfg.HTTP.Addr + "/monitoring"
	for _, p := range pages {
		file, err := filepath.Abs(filepath.Join(out, p.file))
		if err != nil {
			return err
		}
		if err := screenshot(ctx, browser, base+p.path, file); err != nil {
			return err
		}
		fmt.Println("wrote", filepath.Join(out, p.file), "from", base+p.path)
	}
	return nil
}

func waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// screenshot renders url to file with a throw-away Chromium profile.
func screenshot(ctx context.Context, browser, url, file string) error {
	profile, err := os.MkdirTemp("", "kycpoller-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	_ = os.Remove(file)
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+profile, "--window-size=1400,900",
		"--virtual-time-budget=5000", "--screenshot="+file, url)
	if outb, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chromium %s: %w\n%s", url, err, outb)
	}
	if st, err := os.Stat(file); err != nil || st.Size() == 0 {
		return errors.Join(fmt.Errorf("chromium wrote no screenshot of %s", url), err)
	}
	return nil
}
