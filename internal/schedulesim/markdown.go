package schedulesim

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders rows as a Markdown table.
func Markdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| strategy | schedule | calls / verification | mean delay | mean delay / mean time-to-final | mean of delay / time-to-final | p50 delay | p99 delay | TIMEOUT | goal |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %.2f | %s | %.1f%% | %.1f%% | %s | %s | %.3f%% | %s |\n",
			r.Strategy, r.Settings, r.Calls, seconds(r.MeanDelay), r.DelayRatio*100,
			r.MeanRelativeDelay*100, seconds(r.P50Delay), seconds(r.P99Delay),
			r.TimeoutShare*100, goalCell(r))
	}
	return b.String()
}

// Summary describes the model and its parameters in one paragraph, for the
// text above the table.
func (o Options) Summary() string {
	o = o.withDefaults()
	return fmt.Sprintf("%d verifications with time-to-final drawn log-normally "+
		"(median %s, 99th percentile %s: σ = %.4f, seed %d), each played through "+
		"internal/poller's schedule and a model of asynq's dispatch (%s). "+
		"Delay runs from the result turning final to the start of the poll "+
		"that finds it; verifications that time out are left out of the delay "+
		"figures. The delay goal is checked against mean delay / mean "+
		"time-to-final; the mean of each verification's own ratio is shown "+
		"beside it.", o.N, duration(o.Median), duration(o.P99), o.sigma(), o.Seed, o.Dispatch)
}

// goalCell lists each part of the row's goal with its verdict.
func goalCell(r Row) string {
	g := r.Goal
	var parts []string
	check := func(ok bool, what string) {
		verdict := "met"
		if !ok {
			verdict = "**missed**"
		}
		parts = append(parts, what+" "+verdict)
	}
	if g.MaxCalls > 0 {
		check(r.Calls <= g.MaxCalls, fmt.Sprintf("≤ %g calls", g.MaxCalls))
	}
	if g.MaxDelayRatio > 0 {
		check(r.DelayRatio <= g.MaxDelayRatio, fmt.Sprintf("delay ≤ %g%%", g.MaxDelayRatio*100))
	}
	if g.MaxP99Delay > 0 {
		check(r.P99Delay < g.MaxP99Delay, fmt.Sprintf("p99 < %s", seconds(g.MaxP99Delay)))
	}
	return strings.Join(parts, ", ")
}

// seconds formats d in seconds with a precision that suits its size.
func seconds(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s < 10:
		return fmt.Sprintf("%.2f s", s)
	case s < 100:
		return fmt.Sprintf("%.1f s", s)
	default:
		return fmt.Sprintf("%.0f s", s)
	}
}

// duration formats d without zero trailing units: 5m, not 5m0s.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
