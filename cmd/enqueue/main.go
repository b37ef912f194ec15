// Command enqueue hands verification references to kycpoller.
//
//	enqueue -config FILE -provider advance -id SIGNATURE_ID [-sink NAME]
//	enqueue -config FILE -file refs.jsonl      (or -file - for stdin)
//
// A bulk file holds one JSON object per line:
//
//	{"provider":"advance","id":"f302f5d2454a85c2","sink":"default"}
//
// Every reference is validated before anything is enqueued: a file with any
// invalid line enqueues nothing and names each bad line. Each reference then
// prints one line, "queued provider/id" or "duplicate provider/id" (already
// being polled, or completed within the retention window).
//
// Stored final events can be sent again, with their original event ids:
//
//	enqueue replay -config FILE -provider advance -id ID [-sink NAME]
//	enqueue replay -config FILE -dead [-sink NAME]   (every dead-lettered delivery)
//
// One enqueued verification can be looked up, cancelled, or polled now:
//
//	enqueue status -config FILE -provider P -id ID [-json]
//	enqueue cancel -config FILE -provider P -id ID
//	enqueue nudge  -config FILE -provider P -id ID
//
// Exit status: 0 on success (duplicates included), 2 on invalid input, 1 when
// Redis cannot be reached or fails, a replay finds no stored event, or
// status, cancel or nudge find no verification to act on.
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
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/redisconn"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitInvalid = 2
)

func main() {
	// Connection errors are reported by run itself, once, in plain words.
	redisconn.RouteLogs(nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "replay" {
		return runReplay(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && controlCommands[args[0]] != nil {
		return runControl(ctx, args[0], args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("enqueue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configFlag = fs.String("config", "", "configuration file (default $KYCPOLLER_CONFIG)")
		provider   = fs.String("provider", "", "provider of the reference: advance")
		id         = fs.String("id", "", "the provider's reference (ADVANCE.AI signatureId)")
		bizID      = fs.String("biz-id", "", "business id (ZOLOZ only)")
		sinkName   = fs.String("sink", "", "sink to deliver the result to (default: the configured default_sink)")
		file       = fs.String("file", "", "bulk file of JSON lines, or - for standard input")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: enqueue -config FILE -provider advance -id ID [-sink NAME]")
		fmt.Fprintln(stderr, "       enqueue -config FILE -file FILE|-")
		fmt.Fprintln(stderr, "       enqueue replay -config FILE (-provider P -id ID | -dead) [-sink NAME]")
		fmt.Fprintln(stderr, "       enqueue status|cancel|nudge -config FILE -provider P -id ID")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "enqueue: unexpected argument %q\n", fs.Arg(0))
		return exitInvalid
	}
	single := *provider != "" || *id != "" || *bizID != "" || *sinkName != ""
	if single == (*file != "") {
		fmt.Fprintln(stderr, "enqueue: give either -provider and -id, or -file")
		fs.Usage()
		return exitInvalid
	}

	path, err := config.ResolvePath(*configFlag)
	if err != nil {
		fmt.Fprintln(stderr, "enqueue:", err)
		return exitInvalid
	}
	cfg, err := config.LoadForEnqueue(path)
	if err != nil {
		fmt.Fprintf(stderr, "enqueue: invalid configuration %s:\n%v\n", path, err)
		return exitInvalid
	}

	rdb := redisconn.Open(cfg.Redis, 4)
	defer rdb.Close()
	enq := tasks.NewEnqueuer(rdb, cfg)

	var reqs []tasks.Request
	if single {
		r := tasks.Request{Ref: verification.Ref{Provider: *provider, ID: *id, BizID: *bizID}, Sink: *sinkName}
		if _, err := enq.Normalize(r); err != nil {
			fmt.Fprintln(stderr, "enqueue: invalid reference:")
			printFieldErrors(stderr, "", err)
			return exitInvalid
		}
		reqs = []tasks.Request{r}
	} else {
		in, closeIn, err := openInput(*file, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "enqueue:", err)
			return exitInvalid
		}
		reqs, err = readBulk(in, enq)
		closeIn()
		if err != nil {
			fmt.Fprintf(stderr, "enqueue: %s: nothing enqueued:\n%v\n", *file, err)
			return exitInvalid
		}
	}

	if err := redisconn.Ping(ctx, rdb, 5*time.Second); err != nil {
		fmt.Fprintf(stderr, "enqueue: %v (redis.addr %s): nothing enqueued\n", err, cfg.Redis.Addr)
		return exitFailure
	}
	for _, r := range reqs {
		outcome, err := enq.Enqueue(ctx, r)
		if err != nil {
			fmt.Fprintf(stderr, "enqueue: %v\n", err)
			fmt.Fprintln(stderr, "enqueue: stopped; references printed above were handled, re-running the same input is safe (they report duplicate)")
			return exitFailure
		}
		fmt.Fprintf(stdout, "%s %s\n", outcome, r.Ref)
	}
	return exitOK
}

func openInput(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("open bulk file: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// printFieldErrors prints one line per joined error.
func printFieldErrors(w io.Writer, prefix string, err error) {
	for _, e := range unjoin(err) {
		fmt.Fprintf(w, "  %s%v\n", prefix, e)
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}
