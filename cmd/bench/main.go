// Command bench runs kycpoller's benchmark scenarios against real
// processes (a private redis-server, the fake ADVANCE.AI and a webhook
// receiver on loopback, the worker binary and a no-op asynq server as
// separate processes), prints a table of the figures and rewrites the
// generated sections of docs/benchmarks.md.
//
//	make bench-quick     (quick mode: one run of each scenario, smaller N, under 3 minutes)
//	make bench           (full mode: three runs of each, the N)
//
// `bench noop` is the no-op asynq server the harness starts as a child
// process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kycpoller/kycpoller/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if len(os.Args) > 1 && os.Args[1] == "noop" {
		code = runNoop(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else {
		code = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}

// options are the driver's flags.
type options struct {
	mode        bench.Mode
	worker      string
	out         string
	scenarios   map[string]bool
	cpuProfile  string
	latencyRate float64
	pollsPerVer float64
	command     string
	micro       string // packages of the Go micro-benchmarks; empty: none
	save        string
	render      string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "quick", "quick (one run each, smaller N, under 3 minutes) or full (three runs each, the issue's N)")
	runs := fs.Int("runs", 0, "runs per scenario (default: the mode's)")
	var o options
	fs.StringVar(&o.worker, "worker", "bin/worker", "worker binary (make build)")
	fs.StringVar(&o.out, "out", "docs/benchmarks.md", "document whose generated sections are rewritten; empty: print only")
	scen := fs.String("scenarios", "", "comma-separated subset of overhead,waiting,io,latency (default: all)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "keep the worker's CPU profile of the first overhead run in this file")
	fs.Float64Var(&o.latencyRate, "latency-rate", 500, "arrival rate of the latency scenario when the overhead scenario does not run")
	fs.Float64Var(&o.pollsPerVer, "polls-per-verification", 0, "mean polls per verification assumed by the capacity section (default: the schedule simulation's mean for the default schedule)")
	fs.StringVar(&o.command, "command", "", "the command to name in the document (default: this command line)")
	fs.StringVar(&o.micro, "micro", "", "space-separated packages whose Go micro-benchmarks also run and go into the document (make bench passes MICRO_PKGS)")
	fs.StringVar(&o.save, "save", "", "also save the results as JSON in this file")
	fs.StringVar(&o.render, "render", "", "run nothing: render the table and the document from results saved with -save")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch *mode {
	case "quick":
		o.mode = bench.Quick
	case "full":
		o.mode = bench.Full
	default:
		return o, fmt.Errorf("-mode: want quick or full, got %q", *mode)
	}
	if *runs > 0 {
		o.mode.Runs = *runs
	}
	if *scen != "" {
		o.scenarios = map[string]bool{}
		for _, s := range strings.Split(*scen, ",") {
			switch s = strings.TrimSpace(s); s {
			case bench.ScenarioOverhead, bench.ScenarioWaiting, bench.ScenarioIO, bench.ScenarioLatency:
				o.scenarios[s] = true
			default:
				return o, fmt.Errorf("-scenarios: unknown scenario %q", s)
			}
		}
	}
	if o.command == "" {
		o.command = "go run ./cmd/bench " + strings.Join(args, " ")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if o.render != "" {
		doc, err := loadDocument(o.render, o)
		if err == nil {
			err = doc.simulate(stderr)
		}
		if err == nil && doc.Micro == "" {
			err = doc.runMicro(ctx, stderr)
		}
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		return emit(doc, o, stdout, stderr)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if _, err := os.Stat(o.worker); err != nil {
		fmt.Fprintf(stderr, "bench: worker binary: %v (run `make build` first)\n", err)
		return 2
	}
	profile := o.cpuProfile
	if profile == "" {
		f, err := os.CreateTemp("", "kycpoller-bench-cpu-*.pprof")
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		_ = f.Close()
		profile = f.Name()
		defer os.Remove(profile)
	}
	started := time.Now()
	fmt.Fprintf(stderr, "==> kycpoller benchmarks, %s mode\n", o.mode.Name)
	r := &bench.Runner{WorkerBin: o.worker, NoopCommand: []string{self, "noop"}, CPUProfile: profile, Progress: stderr}
	res, err := r.RunAll(ctx, o.mode, o.scenarios, o.latencyRate)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	doc := &document{opts: o, Results: res, Command: o.command, Started: started, Elapsed: time.Since(started), profile: profile}
	if err := doc.collect(ctx, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if o.save != "" {
		if err := doc.save(o.save); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
	}
	return emit(doc, o, stdout, stderr)
}

// emit prints the table and rewrites the document.
func emit(doc *document, o options, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, doc.text())
	if o.out != "" {
		if err := doc.write(o.out); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		fmt.Fprintf(stderr, "==> wrote %s\n", o.out)
	}
	return 0
}
