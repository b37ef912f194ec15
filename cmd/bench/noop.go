package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/kycpoller/kycpoller/internal/bench/noop"
	"github.com/kycpoller/kycpoller/internal/config"
)

// runNoop is `bench noop`: the no-op asynq server, run by the harness as a
// separate process so that it is measured like the worker.
func runNoop(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench noop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "the worker's configuration file (its Redis and server settings are used)")
	n := fs.Int("n", 0, "report once this many tasks have run")
	notReady := fs.Duration("not-ready", 0, "when set, every task asks to run again after this long instead of completing")
	httpURL := fs.String("http", "", "when set, every task first GETs this URL (one loopback HTTP exchange)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *configPath == "" || *n <= 0 {
		fmt.Fprintln(stderr, "bench noop: -config and -n are required")
		return 2
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "bench noop: %v\n", err)
		return 2
	}
	opts := noop.Options{Count: *n, NotReady: *notReady > 0, RetryIn: max(*notReady, time.Second), HTTPURL: *httpURL, Report: stdout}
	if err := noop.Serve(ctx, cfg, opts); err != nil {
		fmt.Fprintf(stderr, "bench noop: %v\n", err)
		return 1
	}
	return 0
}
