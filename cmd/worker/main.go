// Command worker runs kycpoller's worker: it polls providers for the
// verifications enqueued in Redis and delivers their final results to sinks.
//
//	worker -config /etc/kycpoller/config.yaml
//
// The configuration path may also come from KYCPOLLER_CONFIG. SIGINT or
// SIGTERM stops it gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/logging"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFlag := fs.String("config", "", "configuration file (default $KYCPOLLER_CONFIG)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	path, err := config.ResolvePath(*configFlag)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "worker: invalid configuration %s:\n%v\n", path, err)
		return 2
	}
	log, err := logging.New(cfg.Log)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	defer func() { _ = log.Sync() }()
	redisconn.RouteLogs(log)
	log.Info("configuration loaded", zap.String("config_file", path), zap.String("config", cfg.Dump()))
	w, err := worker.New(cfg, log)
	if err != nil {
		log.Error("cannot start worker", zap.Error(err))
		return 1
	}
	if err := w.Run(ctx); err != nil {
		log.Error("worker failed", zap.Error(err))
		return 1
	}
	return 0
}
