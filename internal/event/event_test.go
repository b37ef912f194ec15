package event_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// The event id is a public interface: receivers store it to de-duplicate.
// It must never change for the same input.
func TestIDIsStable(t *testing.T) {
	t.Parallel()
	ref := verification.Ref{Provider: "advance", ID: "f302f5d2454a85c2"}
	// Computed independently: sha256("kycpoller.event.v1\x00advance\x00f302f5d2454a85c2\x00PASS\x00"),
	// first 16 bytes, lower-case base32, 26 characters.
	const want = "evt_flk6qg6p5xqm5cbdqvtm2jzd6q"
	if got := event.ID(ref, verification.StatusPass); got != want {
		t.Fatalf("ID = %s, want %s (changing it breaks every receiver's de-duplication)", got, want)
	}
	if !regexp.MustCompile(`^evt_[a-z2-7]{26}$`).MatchString(want) {
		t.Fatal("id format")
	}
	if event.ID(ref, verification.StatusTimeout) == want {
		t.Error("a different final status must give a different id")
	}
	if event.ID(verification.Ref{Provider: "zoloz", ID: ref.ID}, verification.StatusPass) == want {
		t.Error("a different provider must give a different id")
	}
}

func TestEventJSONShape(t *testing.T) {
	t.Parallel()
	enq := time.Date(2026, 11, 22, 10, 14, 41, 120_000_000, time.UTC)
	done := enq.Add(22 * time.Second)
	ev := event.New(verification.Ref{Provider: "advance", ID: "sig-1"},
		verification.Result{Final: true, Status: verification.StatusFail, ProviderStatus: "fail", ErrorCode: "LIVENESS_ATTACK", Data: json.RawMessage(`{"a":1}`)},
		4, enq, done)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"verification.completed","timestamp":"2026-11-22T10:15:03.12Z","data":{"provider":"advance","verification_id":"sig-1","status":"FAIL","provider_status":"fail","error_code":"LIVENESS_ATTACK","polls":4,"enqueued_at":"2026-11-22T10:14:41.12Z","completed_at":"2026-11-22T10:15:03.12Z","result":{"a":1}}}`
	if string(b) != want {
		t.Fatalf("event JSON\n got %s\nwant %s", b, want)
	}
	none := event.New(verification.Ref{Provider: "advance", ID: "sig-2"}, verification.Result{Final: true, Status: verification.StatusTimeout}, 9, enq, done)
	if string(none.Data.Result) != "null" {
		t.Fatalf("result without data = %s, want null", none.Data.Result)
	}
}
