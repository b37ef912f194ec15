package chaos

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// planned is one verification of the scenario and what it must end as.
type planned struct {
	Ref  verification.Ref
	Want verification.Status
}

// Key is how the receiver groups deliveries: provider/id.
func (p planned) Key() string { return p.Ref.Provider + "/" + p.Ref.ID }

// outcome is one auto-script outcome of a fake and the status it maps to.
type outcome struct {
	script string
	status verification.Status
	weight int
}

// The mix of final results per provider, as the fakes' AutoScript ids
// spell them.
var (
	advanceOutcomes = []outcome{
		{"pass", verification.StatusPass, 50},
		{"fail", verification.StatusFail, 20},
		{"incomplete", verification.StatusIncomplete, 15},
		{"notfound", verification.StatusNotFound, 15},
	}
	zolozOutcomes = []outcome{
		{"success", verification.StatusPass, 50},
		{"failure", verification.StatusFail, 25},
		{"cancelled", verification.StatusCancelled, 15},
		{"timeout", verification.StatusIncomplete, 10}, // VoidTimeout: the user gave up
	}
)

// plan returns n verifications, alternating providers, each with an
// auto-scripted id that names its outcome and the time, counted from its
// first poll, at which it becomes final (up to within), e.g.
// pass-37250ms-c0001.
func plan(rng *rand.Rand, n int, within time.Duration) []planned {
	out := make([]planned, 0, n)
	for i := range n {
		provider, outcomes := "advance", advanceOutcomes
		if i%2 == 1 {
			provider, outcomes = "zoloz", zolozOutcomes
		}
		o := pick(rng, outcomes)
		after := time.Duration(rng.Int64N(int64(within)/int64(time.Millisecond)+1)) * time.Millisecond
		ref := verification.Ref{Provider: provider, ID: fmt.Sprintf("%s-%dms-c%05d", o.script, after.Milliseconds(), i)}
		if provider == "zoloz" {
			ref.BizID = fmt.Sprintf("chaos-%05d", i)
		}
		out = append(out, planned{Ref: ref, Want: o.status})
	}
	return out
}

func pick(rng *rand.Rand, os []outcome) outcome {
	total := 0
	for _, o := range os {
		total += o.weight
	}
	x := rng.IntN(total)
	for _, o := range os {
		if x < o.weight {
			return o
		}
		x -= o.weight
	}
	return os[len(os)-1]
}
