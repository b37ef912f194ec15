// Command demo runs kycpoller end to end on this machine and exits: a private
// Redis, the fake ADVANCE.AI, a local webhook receiver, the real worker and
// the real enqueue command. It enqueues references with different outcomes,
// prints each completion event as the receiver gets it, then stops
// everything it started.
//
//	make demo        (builds bin/worker and bin/enqueue, then runs this)
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/fake/receiver"
	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
)

// The fake providers script ids of the form outcome-delay-name.
var refs = []struct{ provider, id, bizID, expect string }{
	{"advance", "pass-2s-alice", "", "PASS"},
	{"advance", "fail-4s-bob", "", "FAIL"},
	{"advance", "incomplete-3s-carol", "", "INCOMPLETE"},
	{"advance", "unknown-dave", "", "NOT_FOUND"},
	{"advance", "pending-1m-erin", "", "TIMEOUT"},
	{"zoloz", "success-3s-frank", "onboarding-frank", "PASS"},
	{"zoloz", "cancelled-2s-grace", "onboarding-grace", "CANCELLED"},
}

func main() {
	workerBin := flag.String("worker", "bin/worker", "worker binary")
	enqueueBin := flag.String("enqueue", "bin/enqueue", "enqueue binary")
	timeout := flag.Duration("timeout", 90*time.Second, "give up after this long")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *workerBin, *enqueueBin, *timeout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, workerBin, enqueueBin string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var mu sync.Mutex
	got := map[string]string{}
	arrived := make(chan struct{}, len(refs)*4)
	start := time.Now()
	onDelivery := func(d receiver.Delivery) {
		data := d.Event.Data
		mu.Lock()
		got[data.VerificationID] = string(data.Status)
		mu.Unlock()
		fmt.Printf("%6.1fs  event %s  %-7s %-20s %-10s polls=%d provider_status=%q error_code=%q (attempt %d, signature verified)\n",
			time.Since(start).Seconds(), d.EventID, data.Provider, data.VerificationID, data.Status,
			data.Polls, data.ProviderStatus, data.ErrorCode, d.Attempt)
		arrived <- struct{}{}
	}

	step("starting a private redis-server, the fake ADVANCE.AI and ZOLOZ, and a webhook receiver")
	sb, err := sandbox.Start(ctx, sandbox.Options{
		Advance:    advancefake.Options{AutoScript: true},
		Zoloz:      zolozfake.Options{AutoScript: true},
		OnDelivery: onDelivery,
		Config: sandbox.ConfigParams{
			InitialInterval: time.Second,
			MaxInterval:     3 * time.Second,
			Multiplier:      1.5,
			Jitter:          0.2,
			MaxAge:          12 * time.Second,
			LogFormat:       "console",
		},
	})
	if err != nil {
		return err
	}
	defer func() {
		step("stopping redis, the fake provider and the receiver")
		sb.Close()
	}()
	fmt.Printf("    redis %s, fake ADVANCE.AI %s, fake ZOLOZ %s (signed both ways), receiver %s\n", sb.Redis.Addr, sb.AdvanceURL, sb.ZolozURL, sb.WebhookURL)
	fmt.Printf("    config %s (max_age %s: the pending reference ends as TIMEOUT)\n", sb.ConfigPath, sb.Params.MaxAge)

	step("starting the worker")
	worker := exec.Command(workerBin, "-config", sb.ConfigPath)
	worker.Stdout, worker.Stderr = prefixed("worker | "), prefixed("worker | ")
	worker.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := worker.Start(); err != nil {
		return fmt.Errorf("start worker (run `make build` first): %w", err)
	}
	// exited is closed once the worker has exited, with its error in
	// workerErr.
	exited := make(chan struct{})
	var workerErr error
	go func() { workerErr = worker.Wait(); close(exited) }()
	defer func() {
		step("stopping the worker (SIGTERM)")
		_ = worker.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if workerErr != nil {
				fmt.Println("    worker exited:", workerErr)
			}
		case <-time.After(15 * time.Second):
			_ = worker.Process.Kill()
			<-exited
		}
	}()
	healthz := "http://" + sb.Params.HTTPAddr + "/healthz"
	if err := sandbox.WaitHealthy(ctx, healthz, exited); errors.Is(err, sandbox.ErrExited) {
		return fmt.Errorf("worker exited before it was healthy: %v", workerErr)
	} else if err != nil {
		return fmt.Errorf("worker not healthy at %s: %w", healthz, err)
	}

	step("enqueueing references (bulk, from standard input)")
	var lines strings.Builder
	for _, r := range refs {
		if r.bizID != "" {
			fmt.Fprintf(&lines, `{"provider":%q,"id":%q,"biz_id":%q}`+"\n", r.provider, r.id, r.bizID)
		} else {
			fmt.Fprintf(&lines, `{"provider":%q,"id":%q}`+"\n", r.provider, r.id)
		}
	}
	if err := enqueue(ctx, enqueueBin, sb.ConfigPath, lines.String(), "-file", "-"); err != nil {
		return err
	}
	step("enqueueing the first reference again: reported as a duplicate, polled once")
	if err := enqueue(ctx, enqueueBin, sb.ConfigPath, "", "-provider", "advance", "-id", refs[0].id); err != nil {
		return err
	}

	step("waiting for completion events")
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == len(refs) {
			break
		}
		select {
		case <-arrived:
		case <-exited:
			return fmt.Errorf("worker exited early: %v", workerErr)
		case <-ctx.Done():
			return fmt.Errorf("only %d of %d events arrived: %w", n, len(refs), ctx.Err())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var wrong []string
	for _, r := range refs {
		if got[r.id] != r.expect {
			wrong = append(wrong, fmt.Sprintf("%s: got %s, want %s", r.id, got[r.id], r.expect))
		}
	}
	if len(wrong) > 0 {
		return errors.New("unexpected statuses: " + strings.Join(wrong, "; "))
	}
	step(fmt.Sprintf("all %d events delivered with the expected status", len(refs)))
	return nil
}

func enqueue(ctx context.Context, bin, configPath, stdin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, append([]string{"-config", configPath}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	fmt.Print(indent(out.String(), "    enqueue | "))
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

func step(msg string) { fmt.Println("==> " + msg) }

func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix) + "\n"
}

// prefixed returns a writer that prints each line with prefix.
func prefixed(prefix string) io.Writer {
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			fmt.Println(prefix + sc.Text())
		}
	}()
	return pw
}
