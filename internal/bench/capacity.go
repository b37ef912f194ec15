package bench

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/bench/redisstats"
)

// Capacity assumptions, stated in the document next to the figures.
const (
	// peakFactor is the busiest hour's rate over the day's average.
	peakFactor = 3.0
	// meanWait is the mean time from enqueue to final of the issue's
	// completion-time model (log-normal, median 60 s, 99th percentile
	// 20 min: σ = ln 20 / 2.326, mean = 60 s · e^(σ²/2) ≈ 137 s).
	meanWait = 137 * time.Second
	// redisCPUBudget is the share of Redis's one command thread a
	// deployment should plan to use at peak.
	redisCPUBudget = 0.5
	// redisMemoryBudget is the data a single Redis node should hold: fork,
	// AOF rewrite and replica resync times grow with it.
	redisMemoryBudget = 25e9
	// podCPU is a worker pod's CPU, and podTarget the HPA's target use.
	podCPU, podTarget = 1.0, 0.7
	// providerLatency sizes worker concurrency (Little's law).
	providerLatency    = 300 * time.Millisecond
	eventRetentionDays = 7.0
)

// Capacity renders the capacity section from the medians of the results.
// pollsPerVerification is the mean number of polls a verification needs
// with the default schedule, and source says where that number came from.
func (res *Results) Capacity(pollsPerVerification float64, source string) string {
	if len(res.Overhead) == 0 || len(res.Waiting) == 0 {
		return "_The capacity figures need the overhead and waiting scenarios; run `make bench` without -scenarios._"
	}
	o, w := res.Overhead, res.Waiting
	p := pollsPerVerification
	mo := func(f func(OverheadResult) time.Duration) float64 { return medianDuration(o, f).Seconds() }
	mw := func(f func(WaitingResult) time.Duration) float64 { return medianDuration(w, f).Seconds() }
	cmdsFinal := median(o, func(x OverheadResult) float64 { return x.Commands })
	cmdsPoll := median(w, func(x WaitingResult) float64 { return x.Commands })
	cmds := cmdsFinal + (p-1)*cmdsPoll
	redisCPU := mo(func(x OverheadResult) time.Duration { return x.RedisCPU }) + (p-1)*mw(func(x WaitingResult) time.Duration { return x.RedisCPU })
	workerCPU := mo(func(x OverheadResult) time.Duration { return x.WorkerCPU }) + (p-1)*mw(func(x WaitingResult) time.Duration { return x.WorkerCPU })
	waitBytes := median(w, func(x WaitingResult) float64 { return x.Bytes })
	retained := median(o, func(x OverheadResult) float64 { return x.RetainedBytes })
	eventShare := eventShareOf(o[0].Families)
	eventBytes, taskBytes := retained*eventShare, retained*(1-eventShare)

	var b strings.Builder
	fmt.Fprintf(&b, "Computed by the tool from this run's medians: a verification costs %.1f Redis commands when final at its first poll (poll and delivery) and %.1f per not-ready poll; "+
		"with %.1f polls per verification (%s) that is **%.0f commands, %s of Redis CPU and %s of worker CPU per verification**. "+
		"A waiting verification holds %s of Redis memory; a delivered one %s while retained (%.0f%% of it the stored event and its marker, kept `events.retention`, 7 days by default; "+
		"the rest completed asynq tasks, kept `worker.retention`, 24 h).\n\n",
		cmdsFinal, cmdsPoll, p, source, cmds, us(time.Duration(redisCPU*float64(time.Second))), us(time.Duration(workerCPU*float64(time.Second))),
		bytesStr(waitBytes), bytesStr(retained), 100*eventShare)
	fmt.Fprintf(&b, "Assumptions: the busiest hour runs at %.0f× the day's average; verifications wait %s on average before they are final "+
		"(the issue's log-normal model); Redis is planned at %.0f%% of its command thread and %s of data per node; worker pods have %.0f CPU used up to %.0f%%; providers answer in %s.\n\n",
		peakFactor, meanWait, 100*redisCPUBudget, gib(redisMemoryBudget), podCPU, 100*podTarget, providerLatency)
	b.WriteString("| | 1 million / day | 100 million / day |\n|---|---|---|\n")
	row := func(name string, f func(perDay float64) string) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, f(1e6), f(1e8))
	}
	peak := func(perDay float64) float64 { return perDay / 86400 * peakFactor }
	row("verifications/s, average → peak", func(d float64) string { return fmt.Sprintf("%s → %s", num(d/86400, 1), num(peak(d), 1)) })
	row("provider polls/s at peak", func(d float64) string { return num(peak(d)*p, 0) })
	row("Redis commands/s at peak", func(d float64) string { return num(peak(d)*cmds, 0) })
	row("Redis CPU at peak (one command thread = 100%)", func(d float64) string { return fmt.Sprintf("%.0f%%", 100*peak(d)*redisCPU) })
	row("Redis memory: waiting verifications at peak", func(d float64) string { return gib(peak(d) * meanWait.Seconds() * waitBytes) })
	row("Redis memory: completed tasks (24 h)", func(d float64) string { return gib(d * taskBytes) })
	row("Redis memory: events (7 days)", func(d float64) string { return gib(d * eventRetentionDays * eventBytes) })
	row(fmt.Sprintf("worker pods (%.0f CPU at %.0f%%), at least 2", podCPU, 100*podTarget), func(d float64) string {
		return fmt.Sprintf("%.0f", math.Max(2, math.Ceil(peak(d)*workerCPU/(podCPU*podTarget))))
	})
	row("worker concurrency for the polls in flight at peak, in total", func(d float64) string {
		return num(math.Ceil(peak(d)*p*providerLatency.Seconds()), 0)
	})
	cpuLimit := redisCPUBudget / redisCPU / peakFactor * 86400
	memPerDay := eventRetentionDays*eventBytes + taskBytes
	memLimit := redisMemoryBudget / memPerDay
	fmt.Fprintf(&b, "\n**When to move to Redis Cluster.** One Redis node reaches the CPU plan at about **%s verifications/day** and the memory plan at about **%s/day** "+
		"with the default retentions (%s per verification-day of retention). Below both, one primary with a replica (Sentinel) is enough. "+
		"Memory comes first: shortening `events.retention` (the events are only needed until every delivery succeeded) moves that limit more than Cluster does. "+
		"In Cluster, asynq keeps each queue's keys in one hash slot, so one queue's tasks never spread over nodes: "+
		"Cluster spreads the event store and separates the poll and delivery queues, but one queue's throughput stays one node's CPU; "+
		"beyond that, verifications have to be sharded over several poll queues (not built yet).\n",
		num(cpuLimit, 0), num(memLimit, 0), bytesStr(memPerDay))
	return b.String()
}

// eventShareOf is the share of kycpoller's own keys (events and
// verification markers) in the memory of keys after delivery.
func eventShareOf(fams []redisstats.Family) float64 {
	var own, all float64
	for _, f := range fams {
		all += float64(f.Bytes)
		if strings.HasPrefix(f.Name, "kycpoller:") {
			own += float64(f.Bytes)
		}
	}
	if all == 0 {
		return 0
	}
	return own / all
}

// FamiliesTable renders the key families of the first run of each scenario
// per verification.
func (res *Results) FamiliesTable() string {
	var b strings.Builder
	write := func(title string, fams []redisstats.Family, n int) {
		if len(fams) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (MEMORY USAGE per verification; the used_memory delta above also counts allocator and dictionary overhead):\n\n| key family | keys | bytes per verification |\n|---|---|---|\n", title)
		for _, f := range fams {
			if per := float64(f.Bytes) / float64(n); per >= 1 {
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, num(float64(f.Keys), 0), num(per, 0))
			}
		}
		b.WriteString("\n")
	}
	if len(res.Overhead) > 0 {
		write("Redis memory after delivery, overhead scenario", res.Overhead[0].Families, res.Overhead[0].N)
	}
	if len(res.Waiting) > 0 {
		write("Redis memory while waiting, waiting scenario", res.Waiting[0].Families, res.Waiting[0].N)
	}
	if len(res.Overhead) > 0 {
		fmt.Fprintf(&b, "Commands behind a verification final on its first poll, per verification (MONITOR): %s.\n\nPer no-op task: %s.\n\n", res.Overhead[0].Breakdown, res.Overhead[0].NoopBreakdown)
	}
	if len(res.Waiting) > 0 {
		fmt.Fprintf(&b, "Commands behind a not-ready poll (MONITOR): %s.\n", res.Waiting[0].Breakdown)
	}
	return b.String()
}
