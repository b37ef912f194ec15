package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// controlCommands are the subcommands that act on one enqueued
// verification:
//
//	enqueue status -config FILE -provider P -id ID [-json]
//	enqueue cancel -config FILE -provider P -id ID
//	enqueue nudge  -config FILE -provider P -id ID
var controlCommands = map[string]func(ctx context.Context, ctl *tasks.Controller, ref verification.Ref, asJSON bool, stdout io.Writer) error{
	"status": func(ctx context.Context, ctl *tasks.Controller, ref verification.Ref, asJSON bool, stdout io.Writer) error {
		s, err := ctl.Status(ctx, ref.Provider, ref.ID)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(stdout).Encode(s)
		}
		printStatus(stdout, ref, s)
		return nil
	},
	"cancel": func(ctx context.Context, ctl *tasks.Controller, ref verification.Ref, _ bool, stdout io.Writer) error {
		if err := ctl.Cancel(ctx, ref.Provider, ref.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "cancelled %s\n", ref)
		return nil
	},
	"nudge": func(ctx context.Context, ctl *tasks.Controller, ref verification.Ref, _ bool, stdout io.Writer) error {
		res, err := ctl.Nudge(ctx, ref.Provider, ref.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s\n", res, ref)
		return nil
	},
}

// runControl runs one of controlCommands. Exit status: 0 done, 2 invalid
// input, 1 Redis trouble or a verification that is unknown, already final
// (cancel, nudge) or being polled right now (cancel).
func runControl(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	prog := "enqueue " + name
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configFlag = fs.String("config", "", "configuration file (default $KYCPOLLER_CONFIG)")
		provider   = fs.String("provider", "", "provider of the verification: advance or zoloz")
		id         = fs.String("id", "", "the provider's reference")
		asJSON     = false
	)
	if name == "status" {
		fs.BoolVar(&asJSON, "json", false, "print the status as one JSON object")
	}
	fs.Usage = func() {
		extra := ""
		if name == "status" {
			extra = " [-json]"
		}
		fmt.Fprintf(stderr, "usage: %s -config FILE -provider P -id ID%s\n", prog, extra)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", prog, fs.Arg(0))
		return exitInvalid
	}
	if err := tasks.ValidateLookup(*provider, *id); err != nil {
		fmt.Fprintf(stderr, "%s: invalid reference:\n", prog)
		printFieldErrors(stderr, "", err)
		return exitInvalid
	}
	path, err := config.ResolvePath(*configFlag)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return exitInvalid
	}
	cfg, err := config.LoadForEnqueue(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: invalid configuration %s:\n%v\n", prog, path, err)
		return exitInvalid
	}
	rdb := redisconn.Open(cfg.Redis, 4)
	defer rdb.Close()
	if err := redisconn.Ping(ctx, rdb, 5*time.Second); err != nil {
		fmt.Fprintf(stderr, "%s: %v (redis.addr %s)\n", prog, err, cfg.Redis.Addr)
		return exitFailure
	}
	ref := verification.Ref{Provider: *provider, ID: *id}
	if err := controlCommands[name](ctx, tasks.NewController(rdb, cfg), ref, asJSON, stdout); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return exitFailure
	}
	return exitOK
}

func printStatus(w io.Writer, ref verification.Ref, s tasks.Status) {
	fmt.Fprintf(w, "%s %s\n", s.State, ref)
	fmt.Fprintf(w, "  polls:        %d\n", s.Polls)
	for _, t := range []struct {
		name string
		at   time.Time
	}{
		{"enqueued_at: ", s.EnqueuedAt},
		{"last_poll_at:", s.LastPollAt},
		{"next_poll_at:", s.NextPollAt},
	} {
		if !t.at.IsZero() {
			fmt.Fprintf(w, "  %s %s\n", t.name, t.at.UTC().Format(time.RFC3339))
		}
	}
	if s.FinalStatus != "" {
		fmt.Fprintf(w, "  final_status: %s\n", s.FinalStatus)
	}
	if s.EventID != "" {
		fmt.Fprintf(w, "  event_id:     %s\n", s.EventID)
	}
}
