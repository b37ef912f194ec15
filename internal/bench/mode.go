package bench

import "time"

// Mode sizes a benchmark run.
type Mode struct {
	Name string
	// Runs is how many times each scenario runs; figures are medians.
	Runs int
	// OverheadN verifications (and no-op tasks) per overhead run.
	OverheadN int
	// AccountN verifications counted under MONITOR per run.
	AccountN int
	// WaitingN verifications waiting per waiting run.
	WaitingN int
	// IO scenario: IOVerifications polled every second by IOConcurrency
	// workers against a provider answering after IOLatency, counted over
	// IOWindow.
	IOVerifications int
	IOConcurrency   int
	IOLatency       time.Duration
	IOWindow        time.Duration
	// LatencyDuration is how long verifications arrive in the latency
	// scenario.
	LatencyDuration time.Duration
}

// The modes of cmd/bench.
var (
	Quick = Mode{Name: "quick", Runs: 1, OverheadN: 5_000, AccountN: 300, WaitingN: 20_000,
		IOVerifications: 3_000, IOConcurrency: 300, IOLatency: 300 * time.Millisecond, IOWindow: 10 * time.Second,
		LatencyDuration: 10 * time.Second}
	Full = Mode{Name: "full", Runs: 3, OverheadN: 20_000, AccountN: 1_000, WaitingN: 100_000,
		IOVerifications: 3_000, IOConcurrency: 300, IOLatency: 300 * time.Millisecond, IOWindow: 30 * time.Second,
		LatencyDuration: 30 * time.Second}
)

// Scenario names, as cmd/bench's -scenarios takes them.
const (
	ScenarioOverhead = "overhead"
	ScenarioWaiting  = "waiting"
	ScenarioIO       = "io"
	ScenarioLatency  = "latency"
)
