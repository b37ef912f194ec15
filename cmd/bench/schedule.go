package main

import (
	"fmt"

	"github.com/kycpoller/kycpoller/internal/bench/report"
	"github.com/kycpoller/kycpoller/internal/schedulesim"
)

// simulation is the "calls per result" part of the document: the project's
// schedule code played over simulated completion times (no processes).
type simulation struct {
	Summary string
	Rows    []schedulesim.Row
}

// simulate runs the schedule simulation with its defaults (100,000 draws,
// a fixed seed: the same figures on every machine).
func simulate() (*simulation, error) {
	opts := schedulesim.Options{}
	rows, err := schedulesim.Run(opts)
	if err != nil {
		return nil, fmt.Errorf("schedule simulation: %w", err)
	}
	return &simulation{Summary: opts.Summary(), Rows: rows}, nil
}

// section is the document's "Calls per result" table.
func (s *simulation) section() string {
	return s.Summary + "\n\n" + schedulesim.Markdown(s.Rows)
}

// row returns the simulation row called name.
func (s *simulation) row(name string) (schedulesim.Row, bool) {
	for _, r := range s.Rows {
		if r.Strategy == name {
			return r, true
		}
	}
	return schedulesim.Row{}, false
}

// defaultCalls is the mean provider calls per verification with the
// default schedule, or 0 when the simulation has no such row.
func (s *simulation) defaultCalls() float64 {
	r, _ := s.row(schedulesim.DefaultScheduleName)
	return r.Calls
}

// tableRows are the summary table's rows of the simulation's goals.
func (s *simulation) tableRows() []report.Row {
	verdict := func(ok bool) string {
		if ok {
			return "pass"
		}
		return "gap"
	}
	if len(s.Rows) == 0 {
		return nil
	}
	sc := fmt.Sprintf("Calls per result (simulation of the schedule code, N=%s; time-to-final log-normal, median 60 s, p99 20 min)", report.Num(float64(s.Rows[0].N), 0))
	var rows []report.Row
	if r, ok := s.row(schedulesim.DefaultScheduleName); ok {
		g := schedulesim.ScheduleGoal
		rows = append(rows,
			report.Row{Scenario: sc, Figure: "default schedule: provider calls per verification", Goal: fmt.Sprintf("≤ %g", g.MaxCalls),
				Measured: fmt.Sprintf("%.2f", r.Calls), Verdict: verdict(r.Calls <= g.MaxCalls)},
			report.Row{Scenario: sc, Figure: "default schedule: mean detection delay ÷ mean time-to-final (mean of per-verification ratios)", Goal: fmt.Sprintf("≤ %g%%", g.MaxDelayRatio*100),
				Measured: fmt.Sprintf("%.1f%% (%.1f%%)", r.DelayRatio*100, r.MeanRelativeDelay*100), Verdict: verdict(r.DelayRatio <= g.MaxDelayRatio)},
		)
	}
	if r, ok := s.row(schedulesim.RecommendedName); ok {
		g := schedulesim.CallbackGoal
		rows = append(rows,
			report.Row{Scenario: sc, Figure: "with callback nudges (recommended settings): provider calls per verification", Goal: fmt.Sprintf("≤ %g", g.MaxCalls),
				Measured: fmt.Sprintf("%.2f", r.Calls), Verdict: verdict(r.Calls <= g.MaxCalls)},
			report.Row{Scenario: sc, Figure: "with callback nudges (recommended settings): p99 detection delay", Goal: fmt.Sprintf("< %v", g.MaxP99Delay),
				Measured: fmt.Sprintf("%.2f s", r.P99Delay.Seconds()), Verdict: verdict(r.P99Delay < g.MaxP99Delay)},
		)
	}
	return rows
}
