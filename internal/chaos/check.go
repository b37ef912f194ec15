package chaos

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/receiver"
)

// maxProblems bounds how many problems an error lists.
const maxProblems = 30

// CheckError lists what a run got wrong.
type CheckError struct {
	Problems []string
	Dir      string // where the run's files were kept, if they were
}

func (e *CheckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos run failed %d check(s)", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxProblems)
			break
		}
		b.WriteString("\n  - " + p)
	}
	if e.Dir != "" {
		b.WriteString("\n  worker logs and Redis files kept in " + e.Dir)
	}
	return b.String()
}

// finalAt reports when a fake first answered a verification with a final
// result.
type finalAt func(p planned) (time.Time, bool)

// check compares what the receiver accepted with the plan and fills in the
// delivery figures. It returns the problems found.
func check(plan []planned, byV map[string][]receiver.Delivery, final finalAt, fig *Figures) []string {
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	owner := map[string]string{} // event id -> verification
	var delays []time.Duration
	for _, p := range plan {
		ds := byV[p.Key()]
		if len(ds) == 0 {
			if at, ok := final(p); ok {
				problem("%s: never delivered (final at its provider since %s)", p.Key(), at.Format(time.RFC3339Nano))
			} else {
				problem("%s: never delivered (never final at its provider)", p.Key())
			}
			continue
		}
		fig.Delivered++
		at, isFinal := final(p)
		if !isFinal {
			problem("%s: delivered %d time(s) but its provider never gave a final answer", p.Key(), len(ds))
		}
		for _, d := range ds {
			if d.Event.Data.Status != p.Want {
				problem("%s: delivered with status %s, its script says %s (event %s)", p.Key(), d.Event.Data.Status, p.Want, d.EventID)
			}
			if d.EventID != ds[0].EventID {
				problem("%s: two event ids, %s and %s", p.Key(), ds[0].EventID, d.EventID)
			}
			if prev, ok := owner[d.EventID]; ok && prev != p.Key() {
				problem("event %s delivered for both %s and %s", d.EventID, prev, p.Key())
			}
			owner[d.EventID] = p.Key()
			if isFinal && d.ReceivedAt.Before(at) {
				problem("%s: delivered at %s, before its provider's first final answer at %s", p.Key(), d.ReceivedAt.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano))
			}
		}
		if isFinal {
			delays = append(delays, ds[0].ReceivedAt.Sub(at))
		}
	}

	known := make(map[string]bool, len(plan))
	for _, p := range plan {
		known[p.Key()] = true
	}
	var strays []string
	for k := range byV {
		if !known[k] {
			strays = append(strays, k)
		}
	}
	sort.Strings(strays)
	for _, k := range strays {
		problem("%s: delivered %d time(s) but not part of the run", k, len(byV[k]))
	}

	ids := map[string]bool{} // strays count too
	for _, ds := range byV {
		fig.Deliveries += len(ds)
		for _, d := range ds {
			ids[d.EventID] = true
		}
	}
	fig.EventIDs = len(ids)
	fig.Duplicates = fig.Deliveries - fig.EventIDs
	if fig.EventIDs != len(plan) {
		problem("%d distinct event ids, want %d (one per verification)", fig.EventIDs, len(plan))
	}
	fig.P99Delay = percentile(delays, 0.99)
	for _, d := range delays {
		fig.MaxDelay = max(fig.MaxDelay, d)
	}
	return problems
}
