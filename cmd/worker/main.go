// Command worker runs kycpoller's worker: it polls providers for the
// verifications enqueued in Redis and delivers their final results to sinks.
//
//	worker -config /etc/kycpoller/config.yaml
//
// -cpuprofile FILE writes a CPU profile (go tool pprof) of the whole run,
// for benchmarks (make bench); it is off by default.
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
	"runtime/pprof"
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
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
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
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			log.Error("cannot start the CPU profile", zap.Error(err))
			return 1
		}
		defer stopProfile()
	}
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

// startCPUProfile starts writing a CPU profile to path; the returned func
// stops it and closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
