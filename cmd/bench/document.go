package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/bench"
	"github.com/kycpoller/kycpoller/internal/bench/report"
	"github.com/kycpoller/kycpoller/internal/localredis"
)

// document is what one run of the driver prints and writes; its exported
// fields are what -save keeps.
type document struct {
	opts    options
	profile string

	Results *bench.Results
	Command string
	Started time.Time
	Elapsed time.Duration
	Machine report.Machine
	Top     string // the profile's top functions
	Micro   string // go test -bench output
	// Schedule is the calls-per-result simulation.
	Schedule *simulation
}

// save writes the document's data as JSON.
func (d *document) save(path string) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("save results: %w", err)
	}
	return nil
}

// loadDocument reads what save wrote.
func loadDocument(path string, o options) (*document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	d := &document{opts: o}
	if err := json.Unmarshal(b, d); err != nil || d.Results == nil {
		return nil, fmt.Errorf("decode results %s: %v", path, err)
	}
	return d, nil
}

// collect gathers what the document needs besides the results.
func (d *document) collect(ctx context.Context, stderr io.Writer) error {
	d.Machine = report.ReadMachine(redisVersion())
	if err := d.simulate(stderr); err != nil {
		return err
	}
	if len(d.Results.Overhead) > 0 {
		out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=25", d.opts.worker, d.profile).Output()
		if err != nil {
			d.Top = fmt.Sprintf("(go tool pprof failed: %v)", err)
		} else {
			d.Top = pprofTop(string(out))
		}
	}
	return d.runMicro(ctx, stderr)
}

// runMicro runs the Go micro-benchmarks of the -micro packages, if any.
func (d *document) runMicro(ctx context.Context, stderr io.Writer) error {
	pkgs := strings.Fields(d.opts.micro)
	if len(pkgs) == 0 {
		return nil
	}
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem"}, pkgs...)
	fmt.Fprintf(stderr, "==> Go micro-benchmarks: go %s\n", strings.Join(args, " "))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("micro-benchmarks: %w", err)
	}
	d.Micro = benchLines(out.String())
	return nil
}

// simulate runs the schedule simulation unless the document has it.
func (d *document) simulate(stderr io.Writer) error {
	if d.Schedule != nil {
		return nil
	}
	fmt.Fprintln(stderr, "==> calls per result: schedule simulation")
	sim, err := simulate()
	if err != nil {
		return err
	}
	d.Schedule = sim
	return nil
}

// rows are the summary table: the scenarios', then the simulation's.
func (d *document) rows() []report.Row {
	rows := d.Results.Rows()
	if d.Schedule != nil {
		rows = append(rows, d.Schedule.tableRows()...)
	}
	return rows
}

// pollsPerVerification is what the capacity section assumes, and why.
func (d *document) pollsPerVerification() (float64, string) {
	if d.opts.pollsPerVer > 0 {
		return d.opts.pollsPerVer, "set with -polls-per-verification"
	}
	if d.Schedule != nil {
		if c := d.Schedule.defaultCalls(); c > 0 {
			return c, "the default schedule's mean in the calls-per-result simulation"
		}
	}
	return 12, "the issue's upper bound for the default schedule"
}

// redisVersion is the version of the redis-server the benchmarks start.
func redisVersion() string {
	bin, err := localredis.Binary()
	if err != nil {
		return "unknown"
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "unknown"
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return v
		}
	}
	return strings.TrimSpace(string(out))
}

// pprofTop keeps the table of `go tool pprof -top`, from its header line.
func pprofTop(out string) string {
	if i := strings.Index(out, "      flat"); i >= 0 {
		head := out[:i]
		if j := strings.Index(head, "Duration:"); j >= 0 {
			return strings.TrimRight(head[j:], "\n") + "\n" + out[i:]
		}
		return out[i:]
	}
	return out
}

// benchLines keeps the package and Benchmark lines of go test -bench output.
func benchLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "pkg:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func (d *document) runSection() string {
	m := d.Machine
	mode := d.Results.Mode
	return fmt.Sprintf("- command: `%s` (%s mode: %d run(s) per scenario%s), %s in all\n- date: %s\n"+
		"- machine: %d cores (%s), %.1f GB memory; Redis %s; %s; kycpoller %s\n"+
		"- every process on the same machine: Redis, the worker (or the no-op server), and the harness serving the fake provider and the receiver",
		d.Command, mode.Name, mode.Runs, quickNote(mode), d.Elapsed.Round(time.Second),
		d.Started.UTC().Format("2006-01-02 15:04 MST"), m.Cores, m.CPU, m.MemoryGB, m.Redis, m.Go, m.Commit)
}

func quickNote(m bench.Mode) string {
	if m.Name == bench.Quick.Name {
		return "; smaller N than the full mode, for development: not the published figures"
	}
	return ""
}

// text is what the driver prints.
func (d *document) text() string {
	return "\n" + report.Text(d.rows())
}

// sections are the generated parts of docs/benchmarks.md.
func (d *document) sections() []report.Section {
	polls, why := d.pollsPerVerification()
	s := []report.Section{
		{Name: "run", Body: d.runSection()},
		{Name: "results", Body: report.Markdown(d.rows())},
		{Name: "details", Body: d.Results.FamiliesTable()},
		{Name: "capacity", Body: d.Results.Capacity(polls, why)},
	}
	if d.Schedule != nil {
		s = append(s, report.Section{Name: "schedulesim", Body: d.Schedule.section()})
	}
	if d.Top != "" {
		s = append(s, report.Section{Name: "profile", Body: "Worker CPU profile of the first overhead run (`go tool pprof -top`):\n\n```\n" + strings.TrimRight(d.Top, "\n") + "\n```"})
	}
	if d.Micro != "" {
		s = append(s, report.Section{Name: "micro", Body: "```\n" + d.Micro + "\n```"})
	}
	return s
}

func (d *document) write(path string) error {
	return report.UpdateFile(path, skeleton, d.sections()...)
}

// skeleton is docs/benchmarks.md before its first run: the generated
// sections between markers, the hand-written analysis around them.
const skeleton = `# Benchmarks

Produced by ` + "`make bench`" + ` (full mode, the published figures) or ` + "`make bench-quick`" + `
(under 3 minutes, smaller N, for development). The tool rewrites only the
parts between ` + "`<!-- bench:NAME:begin -->`" + ` and ` + "`<!-- bench:NAME:end -->`" + ` markers;
everything else is written by hand from what the runs measured.

<!-- bench:run:begin -->
<!-- bench:run:end -->

## Results

Goals from issue 7. Figures are medians over the runs; rates that are
compared are measured side by side in the same run.

<!-- bench:results:begin -->
<!-- bench:results:end -->

## Calls per result

<!-- bench:schedulesim:begin -->
<!-- bench:schedulesim:end -->

## Where the costs are

<!-- bench:details:begin -->
<!-- bench:details:end -->

<!-- bench:profile:begin -->
<!-- bench:profile:end -->

## Capacity

<!-- bench:capacity:begin -->
<!-- bench:capacity:end -->
`
