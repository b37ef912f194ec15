package faultinject_test

import (
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/faultinject"
)

type fault struct{ kind string }

func kindOf(f fault) string { return f.kind }

// Random faults come at about their rates, the same for the same seed, and
// are counted; a throttling window answers its fault until it ends.
func TestPickRatesSeedAndThrottle(t *testing.T) {
	t.Parallel()
	random := []faultinject.Random[fault]{{Fault: fault{"500"}, Rate: 0.3}, {Fault: fault{"garbage"}, Rate: 0.1}}
	a := faultinject.New(random, 7, kindOf)
	b := faultinject.New(random, 7, kindOf)
	now := time.Unix(1_700_000_000, 0)
	const n = 2000
	for range n {
		fa, oka := a.Pick(now)
		fb, okb := b.Pick(now)
		if fa != fb || oka != okb {
			t.Fatal("two injectors with the same seed drew differently")
		}
	}
	got := a.Injected()
	if got["500"] < n/4 || got["500"] > n*7/20 || got["garbage"] < n/20 || got["garbage"] > n*3/20 {
		t.Errorf("counts %v out of %d, want about 30 %% and 10 %%", got, n)
	}

	c := faultinject.New[fault, string](nil, 1, kindOf)
	c.Throttle(now.Add(time.Second), fault{"busy"})
	if f, ok := c.Pick(now); !ok || f.kind != "busy" {
		t.Errorf("in the window: %v %v, want busy", f, ok)
	}
	if _, ok := c.Pick(now.Add(time.Second)); ok {
		t.Error("after the window: a fault, want none")
	}
	c.Count(fault{"scripted"})
	if got := c.Injected(); got["busy"] != 1 || got["scripted"] != 1 {
		t.Errorf("counts %v, want busy 1, scripted 1", got)
	}
}
