// Command chaos runs kycpoller's chaos scenario (package internal/chaos)
// several times in a row against the real worker binary, stops at the
// first run whose outcome checks fail, and writes one table row per run
// into docs/reliability.md.
//
//	make chaos                 (builds bin/worker, then runs this 3 times)
//	make chaos CHAOS_RUNS=1
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/chaos"
)

// flags are the command line.
type flags struct {
	workerBin     string
	runs          int
	verifications int
	finishWithin  time.Duration
	seed          uint64
	redisSIGKILL  bool
	doc           string
}

func main() {
	full := chaos.Full()
	var f flags
	flag.StringVar(&f.workerBin, "worker", "bin/worker", "worker binary")
	flag.IntVar(&f.runs, "runs", 3, "runs in a row; the first failing one stops")
	flag.IntVar(&f.verifications, "verifications", full.Verifications, "verifications per run")
	flag.DurationVar(&f.finishWithin, "finish-within", full.FinishWithin, "verifications become final at their provider within this time of their first poll")
	flag.Uint64Var(&f.seed, "seed", 0, "seed of the first run (run i uses seed+i-1); 0 picks one from the clock")
	flag.BoolVar(&f.redisSIGKILL, "redis-sigkill", false, "restart Redis after a SIGKILL instead of a SIGTERM (may lose the last second of writes; see docs/reliability.md)")
	flag.StringVar(&f.doc, "doc", "docs/reliability.md", "Markdown file whose chaos section receives the table; empty writes none")
	flag.Parse()
	if f.runs < 1 {
		fmt.Fprintln(os.Stderr, "chaos: -runs must be at least 1")
		os.Exit(2)
	}
	if f.seed == 0 {
		f.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, f)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

// run runs the scenario f.runs times, stopping at the first failing run,
// and writes the table of the runs done.
func run(ctx context.Context, f flags) error {
	log, err := zap.NewDevelopment()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	opts := chaos.Options{WorkerBin: f.workerBin, Verifications: f.verifications, FinishWithin: f.finishWithin, RedisSIGKILL: f.redisSIGKILL}
	var rows []string
	var failed error
	for i := 1; i <= f.runs && failed == nil; i++ {
		opts.Seed = f.seed + uint64(i-1)
		opts.Log = log.With(zap.Int("run", i))
		log.Info("run starting", zap.Int("run", i), zap.Int("runs", f.runs), zap.Uint64("seed", opts.Seed))
		fig, err := chaos.Run(ctx, opts)
		var ce *chaos.CheckError
		if err != nil && !errors.As(err, &ce) {
			// The run could not be carried out: no figures worth a row.
			return fmt.Errorf("run %d (seed %d): %w", i, opts.Seed, err)
		}
		rows = append(rows, fig.Row(i, err == nil))
		fmt.Printf("run %d (seed %d): %s\n  %s\n", i, opts.Seed, map[bool]string{true: "PASS", false: "FAIL"}[err == nil], fig)
		if err != nil {
			failed = fmt.Errorf("run %d (seed %d): %w", i, opts.Seed, err)
		}
	}
	if f.doc != "" {
		if err := writeDoc(f, rows); err != nil {
			return errors.Join(failed, err)
		}
		fmt.Printf("figures written to %s\n", f.doc)
	}
	return failed
}

// writeDoc replaces the chaos section of f.doc with a table of rows.
func writeDoc(f flags, rows []string) error {
	variant := ""
	if f.redisSIGKILL {
		variant = " (Redis restarted after a SIGKILL)"
	}
	body := fmt.Sprintf("Last `make chaos`%s: %s, %d run(s) of %d verifications, seeds %d to %d, %s %s/%s, %d CPUs.\n\n%s\n%s",
		variant, time.Now().UTC().Format("2006-01-02 15:04 MST"), len(rows), f.verifications, f.seed, f.seed+uint64(len(rows)-1),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(),
		chaos.TableHeader(), strings.Join(rows, "\n"))
	return chaos.ReplaceSection(f.doc, body)
}
