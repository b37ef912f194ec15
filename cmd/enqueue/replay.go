package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// runReplay re-sends stored final events with their original event ids:
//
//	enqueue replay -config FILE -provider P -id ID [-sink NAME]
//	enqueue replay -config FILE -dead [-sink NAME]
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enqueue replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configFlag = fs.String("config", "", "configuration file (default $KYCPOLLER_CONFIG)")
		provider   = fs.String("provider", "", "provider of the verification to replay")
		id         = fs.String("id", "", "the provider's reference")
		sinkName   = fs.String("sink", "", "sink to send to (default: the sink the event was first routed to; with -dead: only this sink's dead letters)")
		dead       = fs.Bool("dead", false, "re-drive every dead-lettered delivery")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: enqueue replay -config FILE -provider P -id ID [-sink NAME]")
		fmt.Fprintln(stderr, "       enqueue replay -config FILE -dead [-sink NAME]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "enqueue replay: unexpected argument %q\n", fs.Arg(0))
		return exitInvalid
	}
	single := *provider != "" || *id != ""
	if single == *dead {
		fmt.Fprintln(stderr, "enqueue replay: give either -provider and -id, or -dead")
		fs.Usage()
		return exitInvalid
	}
	path, err := config.ResolvePath(*configFlag)
	if err != nil {
		fmt.Fprintln(stderr, "enqueue replay:", err)
		return exitInvalid
	}
	cfg, err := config.LoadForEnqueue(path)
	if err != nil {
		fmt.Fprintf(stderr, "enqueue replay: invalid configuration %s:\n%v\n", path, err)
		return exitInvalid
	}
	if *sinkName != "" {
		if _, ok := cfg.Sinks[*sinkName]; !ok {
			fmt.Fprintf(stderr, "enqueue replay: sink: unknown sink %q (configured: %s)\n", *sinkName, strings.Join(cfg.SinkNames(), ", "))
			return exitInvalid
		}
	}
	ref := verification.Ref{Provider: *provider, ID: *id}
	if single {
		// A replay needs no biz_id: the event is looked up by provider and id.
		if err := (verification.Ref{Provider: ref.Provider, ID: ref.ID, BizID: bizIDPlaceholder(ref.Provider)}).Validate(nil); err != nil {
			fmt.Fprintln(stderr, "enqueue replay: invalid reference:")
			printFieldErrors(stderr, "", err)
			return exitInvalid
		}
	}

	rdb := redisconn.Open(cfg.Redis, 4)
	defer rdb.Close()
	if err := redisconn.Ping(ctx, rdb, 5*time.Second); err != nil {
		fmt.Fprintf(stderr, "enqueue replay: %v (redis.addr %s)\n", err, cfg.Redis.Addr)
		return exitFailure
	}
	rp := tasks.NewReplayer(rdb, cfg)
	if *dead {
		res, err := rp.ReplayDead(ctx, *sinkName)
		if err != nil {
			fmt.Fprintln(stderr, "enqueue replay:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "replayed %d dead-lettered deliveries\n", res.Replayed)
		if res.Expired > 0 {
			fmt.Fprintf(stdout, "left %d dead-lettered deliveries archived: their events expired (events.retention)\n", res.Expired)
		}
		return exitOK
	}
	res, err := rp.Replay(ctx, ref, *sinkName)
	if errors.Is(err, tasks.ErrNoFinalEvent) {
		fmt.Fprintln(stderr, "enqueue replay:", err)
		return exitFailure
	}
	if err != nil {
		fmt.Fprintln(stderr, "enqueue replay:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "replayed %s %s to %s\n", ref, res.EventID, strings.Join(res.Targets, ","))
	return exitOK
}

// bizIDPlaceholder satisfies the biz_id rule of providers that require one:
// a replay does not use it.
func bizIDPlaceholder(provider string) string {
	if provider == verification.ProviderZoloz {
		return "-"
	}
	return ""
}
