package zolozfake

import (
	"strings"
	"testing"
	"time"
)

// Random faults answer about their rate, each counted, and leave the other
// calls to the script.
func TestRandomFaults(t *testing.T) {
	t.Parallel()
	s := start(t, Options{AutoScript: true, Seed: 7, RandomFaults: []RandomFault{
		{Fault: Fault{Kind: HTTP500}, Rate: 0.3},
		{Fault: Fault{Kind: WrongContentType}, Rate: 0.2},
	}})
	const calls = 300
	got := map[string]int{}
	for range calls {
		r := checkResult(t, s, "pending-0s-x")
		switch ct := r.header.Get("Content-Type"); {
		case r.status == 500:
			got["500"]++
		case strings.HasPrefix(ct, "text/plain"):
			if o := r.outcome(t); o != "S InProcess" {
				t.Fatalf("wrong content type answer: %s, want a signed InProcess body", o)
			}
			got["ctype"]++
		case r.outcome(t) == "S Pending":
			got["pending"]++
		default:
			t.Fatalf("unexpected answer %d %.200s", r.status, r.body)
		}
	}
	inj := s.FaultsInjected()
	if inj[HTTP500] != got["500"] || inj[WrongContentType] != got["ctype"] {
		t.Errorf("FaultsInjected = %v, answers seen %v", inj, got)
	}
	// Loose bounds: the draw is seeded, these only catch a broken mix.
	if got["500"] < calls/5 || got["500"] > calls*2/5 || got["ctype"] < calls/10 || got["ctype"] > calls*3/10 {
		t.Errorf("answers %v out of %d calls, want about 30 %% 500 and 20 %% wrong content type", got, calls)
	}
}

// A throttling window answers every call with its fault until it ends, and
// FinalAt is the time of the first final answer.
func TestThrottleAndFinalAt(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := start(t, Options{AutoScript: true, Now: clk.Now})
	s.Throttle(3*time.Second, Fault{Kind: TrafficLimit, RetryAfter: "2"})
	for range 3 {
		r := checkResult(t, s, "failure-0s-a")
		if o := r.outcome(t); o != "F REQUEST_TRAFFIC_EXCEED_LIMIT" || r.header.Get("Retry-After") != "2" {
			t.Fatalf("in the window: %s, Retry-After %q; want REQUEST_TRAFFIC_EXCEED_LIMIT, 2", o, r.header.Get("Retry-After"))
		}
	}
	if _, ok := s.FinalAt("failure-0s-a"); ok {
		t.Fatal("FinalAt set before any final answer")
	}
	clk.Add(3 * time.Second)
	finalAt := clk.Now()
	if o := checkResult(t, s, "failure-0s-a").outcome(t); o != "S Failure" {
		t.Fatalf("after the window: %s, want S Failure", o)
	}
	clk.Add(time.Second)
	checkResult(t, s, "failure-0s-a")
	if at, ok := s.FinalAt("failure-0s-a"); !ok || !at.Equal(finalAt) {
		t.Errorf("FinalAt = %v, %v; want %v, true", at, ok, finalAt)
	}
	if n := s.FaultsInjected()[TrafficLimit]; n != 3 {
		t.Errorf("TRAFFIC_LIMIT injected %d times, want 3", n)
	}
}
