package schedulesim

import (
	"slices"
	"time"
)

// Row is what one strategy cost over all draws.
type Row struct {
	Strategy string
	// Settings describes the schedule (Strategy.Settings).
	Settings string
	// N is the number of verifications played.
	N int
	// Calls is the mean number of provider calls per verification.
	Calls float64
	// MeanDelay is the mean detection delay: from the result turning final
	// to the start of the poll that found it. Delays, time-to-final and
	// the ratios below cover the verifications that did not time out.
	MeanDelay time.Duration
	// MeanTimeToFinal is the mean time from enqueue to the result turning
	// final.
	MeanTimeToFinal time.Duration
	// DelayRatio is MeanDelay / MeanTimeToFinal: the measure Goal's
	// MaxDelayRatio checks.
	DelayRatio float64
	// MeanRelativeDelay is the mean of each verification's delay divided
	// by its own time-to-final. Fast verifications weigh heavily in it.
	MeanRelativeDelay float64
	P50Delay          time.Duration
	P99Delay          time.Duration
	// TimeoutShare is the share of verifications that ended with TIMEOUT.
	TimeoutShare float64
	// Goal is the strategy's goal, and Met whether the row meets it (true
	// when there is none).
	Goal Goal
	Met  bool
}

// Meets reports whether the row meets g.
func (r Row) Meets(g Goal) bool {
	return (g.MaxCalls <= 0 || r.Calls <= g.MaxCalls) &&
		(g.MaxDelayRatio <= 0 || r.DelayRatio <= g.MaxDelayRatio) &&
		(g.MaxP99Delay <= 0 || r.P99Delay < g.MaxP99Delay)
}

// accumulator gathers the outcomes of one strategy.
type accumulator struct {
	n, timeouts, calls int
	delays             []time.Duration
	sumDelay, sumTTF   float64
	sumRelative        float64
}

func (a *accumulator) add(ttf time.Duration, o outcome) {
	a.n++
	a.calls += o.calls
	if o.timedOut {
		a.timeouts++
		return
	}
	a.delays = append(a.delays, o.delay)
	a.sumDelay += float64(o.delay)
	a.sumTTF += float64(ttf)
	a.sumRelative += float64(o.delay) / float64(max(ttf, time.Millisecond))
}

func (a *accumulator) row(s Strategy) Row {
	r := Row{Strategy: s.Name, Settings: s.Settings(), N: a.n, Goal: s.Goal}
	if a.n == 0 {
		r.Met = true
		return r
	}
	r.Calls = float64(a.calls) / float64(a.n)
	r.TimeoutShare = float64(a.timeouts) / float64(a.n)
	if k := len(a.delays); k > 0 {
		r.MeanDelay = time.Duration(a.sumDelay / float64(k))
		r.MeanTimeToFinal = time.Duration(a.sumTTF / float64(k))
		r.DelayRatio = a.sumDelay / a.sumTTF
		r.MeanRelativeDelay = a.sumRelative / float64(k)
		slices.Sort(a.delays)
		r.P50Delay = percentile(a.delays, 0.50)
		r.P99Delay = percentile(a.delays, 0.99)
	}
	r.Met = r.Meets(s.Goal)
	return r
}

// percentile returns the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
