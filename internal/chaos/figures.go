package chaos

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Figures are what one run did and measured.
type Figures struct {
	Seed          uint64
	Verifications int
	Delivered     int // verifications with at least one delivery
	EventIDs      int // distinct event ids accepted
	Deliveries    int // deliveries accepted, repeats included
	Duplicates    int // Deliveries - EventIDs: repeats of an event id
	Kills         int // worker processes SIGKILLed
	Orphaned      int // tasks seen held by a killed worker, then recovered
	Crashes       int // worker exits nobody caused
	RedisRestarts int
	ProviderCalls int
	// CallsAfterFinal counts provider calls for verifications their
	// provider had already answered with a final result: polls repeated
	// because a worker died between the answer and recording it.
	CallsAfterFinal int
	// Faults counts the provider calls answered with each kind of fault,
	// as the fakes report them, both providers together.
	Faults map[string]int
	// ReceiverRequests counts every webhook request, ReceiverDown and
	// ReceiverRandom those failed by the outage and by the failure rate.
	ReceiverRequests, ReceiverDown, ReceiverRandom int
	// Archived counts tasks dead-lettered in either queue.
	Archived int
	// P99Delay and MaxDelay are taken over the verifications, from the
	// provider's first final answer to the first delivery's receipt.
	P99Delay, MaxDelay time.Duration
	Wall               time.Duration
}

// Fault kind groups, as the table shows them.
var faultGroups = []struct {
	name  string
	kinds []string
}{
	{"HTTP 500", []string{"HTTP500"}},
	{"timeouts", []string{"TIMEOUT"}},
	{"throttled", []string{"SERVICE_BUSY", "HTTP429", "TRAFFIC_LIMIT"}},
	{"garbage", []string{"GARBAGE", "HTML", "WRONG_CONTENT_TYPE"}},
}

func (f Figures) faults(kinds ...string) int {
	n := 0
	for _, k := range kinds {
		n += f.Faults[k]
	}
	return n
}

// String is a one-line summary for logs and the command's output.
func (f Figures) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d verifications, %d delivered, %d event ids, %d duplicates; %d kills (%d tasks orphaned), %d Redis restarts; %d provider calls (%d after final)",
		f.Verifications, f.Delivered, f.EventIDs, f.Duplicates, f.Kills, f.Orphaned, f.RedisRestarts, f.ProviderCalls, f.CallsAfterFinal)
	for _, g := range faultGroups {
		fmt.Fprintf(&b, ", %d %s", f.faults(g.kinds...), g.name)
	}
	fmt.Fprintf(&b, "; receiver %d requests, %d failed while down, %d at random; delay p99 %v max %v; wall %v",
		f.ReceiverRequests, f.ReceiverDown, f.ReceiverRandom, f.P99Delay.Round(time.Millisecond), f.MaxDelay.Round(time.Millisecond), f.Wall.Round(time.Second))
	return b.String()
}

// TableHeader is the Markdown table header Row fits under.
func TableHeader() string {
	return "| run | result | verifications | event ids | duplicates | worker kills (tasks orphaned) | Redis restarts | provider calls (after final) | HTTP 500 | timeouts | throttled | garbage | receiver failures (down / random) | p99 delay | max delay | wall time |\n" +
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
}

// Row is the run's Markdown table row.
func (f Figures) Row(run int, passed bool) string {
	result := "pass"
	if !passed {
		result = "**FAIL**"
	}
	return fmt.Sprintf("| %d | %s | %d | %d | %d | %d (%d) | %d | %d (%d) | %d | %d | %d | %d | %d / %d | %s | %s | %s |",
		run, result, f.Verifications, f.EventIDs, f.Duplicates, f.Kills, f.Orphaned, f.RedisRestarts, f.ProviderCalls, f.CallsAfterFinal,
		f.faults(faultGroups[0].kinds...), f.faults(faultGroups[1].kinds...), f.faults(faultGroups[2].kinds...), f.faults(faultGroups[3].kinds...),
		f.ReceiverDown, f.ReceiverRandom,
		seconds(f.P99Delay), seconds(f.MaxDelay), f.Wall.Round(time.Second))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// percentile returns the p-th percentile (0 < p <= 1) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
