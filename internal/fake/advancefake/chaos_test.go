package advancefake

import (
	"strings"
	"testing"
	"time"
)

// Random faults answer about their rate, each counted, and leave the other
// calls to the script.
func TestRandomFaults(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := Start(t, Options{AutoScript: true, Now: clk.Now, Seed: 7, RandomFaults: []RandomFault{
		{Fault: Fault{Kind: HTTP500}, Rate: 0.3},
		{Fault: Fault{Kind: WrongContentType}, Rate: 0.2},
	}})
	token := getToken(t, s, clk.Now())
	const calls = 400
	got := map[string]int{}
	for range calls {
		r := getResult(t, s, token, "pending-0s-x")
		switch ct := r.header.Get("Content-Type"); {
		case r.status == 500:
			got["500"]++
		case strings.HasPrefix(ct, "text/plain"):
			if r.env.Code != "SUCCESS" {
				t.Fatalf("wrong content type answer: code %q, want a processing body", r.env.Code)
			}
			got["ctype"]++
		case r.env.Code == "SUCCESS":
			got["pending"]++
		default:
			t.Fatalf("unexpected answer %d %q", r.status, r.env.Code)
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
	s := Start(t, Options{AutoScript: true, Now: clk.Now})
	token := getToken(t, s, clk.Now())
	s.Throttle(3*time.Second, Fault{Kind: ServiceBusy, RetryAfter: "2s"})
	for range 3 {
		r := getResult(t, s, token, "pass-0s-a")
		if r.env.Code != "SERVICE_BUSY" || r.header.Get("Retry-After") != "2s" {
			t.Fatalf("in the window: code %q Retry-After %q, want SERVICE_BUSY 2s", r.env.Code, r.header.Get("Retry-After"))
		}
	}
	if _, ok := s.FinalAt("pass-0s-a"); ok {
		t.Fatal("FinalAt set before any final answer")
	}
	clk.Add(3 * time.Second)
	finalAt := clk.Now()
	if r := getResult(t, s, token, "pass-0s-a"); r.env.Code != "SUCCESS" {
		t.Fatalf("after the window: code %q, want SUCCESS", r.env.Code)
	}
	clk.Add(time.Second)
	getResult(t, s, token, "pass-0s-a")
	if at, ok := s.FinalAt("pass-0s-a"); !ok || !at.Equal(finalAt) {
		t.Errorf("FinalAt = %v, %v; want %v, true", at, ok, finalAt)
	}
	if n := s.FaultsInjected()[ServiceBusy]; n != 3 {
		t.Errorf("SERVICE_BUSY injected %d times, want 3", n)
	}
}
