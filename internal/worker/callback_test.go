package worker_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// ADVANCE.AI asks for polls 10 minutes apart. A callback makes the result
// arrive seconds after the user finished anyway: polled once at enqueue,
// final at 3 s, called back at 4 s, delivered within 3 s of the callback,
// with exactly two provider calls (the first poll and the nudged one).
func TestAdvanceCallbackNudgesThePoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{
		InitialInterval: 10 * time.Minute,
		MaxInterval:     10 * time.Minute,
		MaxAge:          time.Hour,
	}})
	const cbToken = "callback-token-0123456789"
	e.cfg.Callbacks.Advance.Token = cbToken
	e.startWorker(t, e.cfg)

	const id = "cb-sig-1"
	start := time.Now()
	e.sb.Advance.Register(id, advancefake.Script{ReadyAfter: 3 * time.Second, Outcome: advancefake.OutcomePass})
	if got := e.enqueue(t, id); got != tasks.Queued {
		t.Fatalf("enqueue = %s", got)
	}
	ctl := tasks.NewController(e.rdb, e.cfg)
	for deadline := time.Now().Add(3 * time.Second); ; {
		s, err := ctl.Status(context.Background(), "advance", id)
		if err == nil && s.Polls == 1 && s.State == tasks.StatePolling && !s.NextPollAt.IsZero() {
			if d := time.Until(s.NextPollAt); d < 9*time.Minute {
				t.Fatalf("next poll in %v, want about 10m", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first poll not done within 3s: %+v, %v", s, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := e.sb.Advance.Calls(id); n != 1 {
		t.Fatalf("provider calls before the callback = %d, want 1", n)
	}

	time.Sleep(time.Until(start.Add(4 * time.Second)))
	callbackAt := time.Now()
	url := "http://" + e.cfg.HTTP.Addr + "/callbacks/advance?token=" + cbToken
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"signatureId":"`+id+`","type":"COMPLETED"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("callback answered %d, want 200", resp.StatusCode)
	}
	waitDelivered(t, e, 1, 3*time.Second)
	t.Logf("delivered %v after the callback", time.Since(callbackAt))

	ds := e.sb.Receiver.ByVerification()["advance/"+id]
	if len(ds) != 1 || ds[0].Event.Data.Status != verification.StatusPass {
		t.Errorf("deliveries = %+v, want one PASS", ds)
	}
	if n := e.sb.Advance.Calls(id); n != 2 {
		t.Errorf("provider calls = %d, want 2 (the first poll and the nudged one)", n)
	}
	s, err := ctl.Status(context.Background(), "advance", id)
	if err != nil || s.FinalStatus != verification.StatusPass || s.Polls != 2 {
		t.Errorf("status = %+v, %v; want PASS after 2 polls", s, err)
	}
}

// An unknown id is answered 200 and counted.
func TestAdvanceCallbackUnknownIDCounted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{})
	const cbToken = "callback-token-0123456789"
	e.cfg.Callbacks.Advance.Token = cbToken
	e.startWorker(t, e.cfg)
	base := "http://" + e.cfg.HTTP.Addr
	waitListening(t, base)
	resp, err := http.Post(base+"/callbacks/advance?token="+cbToken, "application/json", strings.NewReader(`{"signatureId":"nobody","type":"COMPLETED"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("unknown id answered %d, want 200", resp.StatusCode)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	if want := `kycpoller_callbacks_total{outcome="unknown",provider="advance"} 1`; !strings.Contains(b.String(), want) {
		t.Errorf("metrics lack %s", want)
	}
}

// waitListening waits until the worker at base answers /healthz.
func waitListening(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker at %s not listening: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
