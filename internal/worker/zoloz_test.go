package worker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// 100 ZOLOZ verifications through every final state, transient faults
// (including responses whose signature fails) and permanent error codes:
// each delivered with the right status, and configuration errors never
// delivered at all before the deadline.
func TestZolozHundredVerificationsEveryState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{Config: sandbox.ConfigParams{Jitter: 0.2, MaxAge: 2 * time.Minute, ProviderTimeout: 2 * time.Second}})
	type expect struct {
		status         verification.Status
		providerStatus string
		errorCode      string
		delivered      bool
	}
	finals := []struct {
		o zolozfake.Outcome
		s verification.Status
	}{
		{zolozfake.OutcomeSuccess, verification.StatusPass},
		{zolozfake.OutcomeFailure, verification.StatusFail},
		{zolozfake.OutcomeVoidCancelled, verification.StatusCancelled},
		{zolozfake.OutcomeVoidTimeout, verification.StatusIncomplete},
	}
	transient := [][]zolozfake.Fault{
		{{Kind: zolozfake.HTTP500}},
		{{Kind: zolozfake.StatusU}, {Kind: zolozfake.TrafficLimit, RetryAfter: "1"}},
		{{Kind: zolozfake.BadSignature}},
		{{Kind: zolozfake.TamperedBody}, {Kind: zolozfake.Unsigned}},
		{{Kind: zolozfake.Garbage}, {Kind: zolozfake.HTML}, {Kind: zolozfake.HTTP429}},
		{{Kind: zolozfake.Timeout}},
	}
	rng := rand.New(rand.NewPCG(17, 19))
	want := map[string]expect{}
	var configErrIDs []string
	for i := range 100 {
		id := fmt.Sprintf("zz-%03d", i)
		biz := fmt.Sprintf("biz-%03d", i)
		sc := zolozfake.Script{BizID: biz, ReadyAfter: time.Duration(rng.Int64N(int64(8 * time.Second)))}
		switch {
		case i < 64: // every final state, a third of them after transient faults
			f := finals[i%len(finals)]
			sc.Outcome = f.o
			if i%3 == 0 {
				sc.Faults = transient[i%len(transient)]
			}
			want[id] = expect{status: f.s, providerStatus: string(f.o), delivered: true}
		case i < 80: // permanent codes end as NOT_FOUND
			code := []string{"INVALID_ARGUMENT", "PARAM_MISSING", "PARAM_ILLEGAL", "MSG_PARSE_ERROR"}[i%4]
			sc.ResultCode = code
			want[id] = expect{status: verification.StatusNotFound, errorCode: code, delivered: true}
		case i < 90: // transient codes on every call until the faults run out
			sc.Outcome = zolozfake.OutcomeSuccess
			sc.Faults = []zolozfake.Fault{{Kind: zolozfake.StatusU}, {Kind: zolozfake.StatusU}, {Kind: zolozfake.HTTP500}}
			want[id] = expect{status: verification.StatusPass, providerStatus: "Success", delivered: true}
		default: // configuration errors: never a result
			code := []string{"SIGNATURE_INVALID", "KEY_NOT_FOUND", "MERCHANT_NOT_FOUND", "ACCESS_DENIED", "PRODUCT_QUOTA_LIMIT"}[i%5]
			sc.ResultCode = code
			want[id] = expect{}
			configErrIDs = append(configErrIDs, id)
		}
		e.sb.Zoloz.Register(id, sc)
		if _, err := e.enq.Enqueue(context.Background(), tasks.Request{Ref: verification.Ref{Provider: "zoloz", ID: id, BizID: biz}}); err != nil {
			t.Fatal(err)
		}
	}
	e.startWorker(t, e.cfg)
	waitDelivered(t, e, 90, 90*time.Second)
	time.Sleep(2 * time.Second) // anything wrongly delivered for a config error would show now

	byV := e.sb.Receiver.ByVerification()
	for id, w := range want {
		ds := byV["zoloz/"+id]
		if !w.delivered {
			if len(ds) != 0 {
				t.Errorf("%s: configuration error delivered as %s", id, ds[0].Event.Data.Status)
			}
			continue
		}
		if len(ds) == 0 {
			t.Errorf("%s: not delivered", id)
			continue
		}
		d := ds[0].Event.Data
		if d.Status != w.status || d.ProviderStatus != w.providerStatus || d.ErrorCode != w.errorCode {
			t.Errorf("%s: got %s/%q/%q, want %s/%q/%q", id, d.Status, d.ProviderStatus, d.ErrorCode, w.status, w.providerStatus, w.errorCode)
		}
		if w.providerStatus != "" && (len(d.Result) < 2 || strings.Contains(string(d.Result), `"resultStatus"`)) {
			t.Errorf("%s: result should be the response without its result envelope: %.120s", id, d.Result)
		}
		if d.BizID == "" {
			t.Errorf("%s: event lacks biz_id", id)
		}
		if n := e.sb.Zoloz.CallsAfterFinal(id); n != 0 {
			t.Errorf("%s: %d calls after the result was final", id, n)
		}
	}
	for _, id := range configErrIDs {
		info, err := e.ins.GetTaskInfo(e.cfg.Worker.Queues.Poll.Name, tasks.PollTaskID("zoloz", id))
		if err != nil {
			t.Fatal(err)
		}
		if !stillRetrying(info) || !strings.Contains(info.LastErr, "configuration error") {
			t.Errorf("%s: state %v last error %q, want retrying with a visible configuration error", id, info.State, info.LastErr)
		}
	}
	if n := e.sb.Zoloz.BadRequestSignatures(); n != 0 {
		t.Errorf("the fake rejected %d of our request signatures", n)
	}
}
