package schedulesim

import (
	"fmt"
	"strings"
	"time"
)

// Goal is a target a strategy's row should meet. Zero fields are not
// checked.
type Goal struct {
	// MaxCalls bounds the mean provider calls per verification.
	MaxCalls float64
	// MaxDelayRatio bounds Row.DelayRatio: mean detection delay over mean
	// time-to-final.
	MaxDelayRatio float64
	// MaxP99Delay bounds the 99th percentile of detection delay (strictly).
	MaxP99Delay time.Duration
}

// IsZero reports a goal that checks nothing.
func (g Goal) IsZero() bool { return g == Goal{} }

// String describes the goal.
func (g Goal) String() string {
	var parts []string
	if g.MaxCalls > 0 {
		parts = append(parts, fmt.Sprintf("≤ %g calls", g.MaxCalls))
	}
	if g.MaxDelayRatio > 0 {
		parts = append(parts, fmt.Sprintf("delay ≤ %g%% of time-to-final", g.MaxDelayRatio*100))
	}
	if g.MaxP99Delay > 0 {
		parts = append(parts, fmt.Sprintf("p99 delay < %v", g.MaxP99Delay))
	}
	return strings.Join(parts, ", ")
}

// Issue 7's goals.
var (
	// ScheduleGoal is the goal of the default schedule.
	ScheduleGoal = Goal{MaxCalls: 12, MaxDelayRatio: 0.30}
	// CallbackGoal is the goal of polling with callback nudges.
	CallbackGoal = Goal{MaxCalls: 1.2, MaxP99Delay: 2 * time.Second}
)
