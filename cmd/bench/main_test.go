package main

import (
	"io"
	"testing"

	"github.com/kycpoller/kycpoller/internal/bench"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-mode", "full", "-runs", "5", "-scenarios", "overhead, io"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.mode.Name != bench.Full.Name || o.mode.Runs != 5 || o.mode.WaitingN != bench.Full.WaitingN {
		t.Errorf("mode %+v", o.mode)
	}
	if len(o.scenarios) != 2 || !o.scenarios[bench.ScenarioOverhead] || !o.scenarios[bench.ScenarioIO] {
		t.Errorf("scenarios %v", o.scenarios)
	}
	if o.command != "go run ./cmd/bench -mode full -runs 5 -scenarios overhead, io" {
		t.Errorf("command %q", o.command)
	}
	for _, bad := range [][]string{{"-mode", "slow"}, {"-scenarios", "overhead,nope"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestPprofTopKeepsTheTable(t *testing.T) {
	out := "File: worker\nType: cpu\nDuration: 9.98s, Total samples = 6.38s (63.96%)\nShowing nodes\n      flat  flat%   sum%        cum   cum%\n     1.38s 21.63% 21.63%      1.38s 21.63%  syscall\n"
	got := pprofTop(out)
	want := "Duration: 9.98s, Total samples = 6.38s (63.96%)\nShowing nodes\n      flat  flat%   sum%        cum   cum%\n     1.38s 21.63% 21.63%      1.38s 21.63%  syscall\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}
