package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// benchResult is a provider result of typical size (about 4 KB) without
// personal data.
var benchResult = json.RawMessage(`{"signatureId":"f302f5d2454a85c2","overallResult":"PASS","items":[` +
	strings.Repeat(`{"check":"FACE_LIVENESS","result":"PASS","score":99.5,"url":"https://example.com/a.jpg"},`, 44) +
	`{"check":"DOC","result":"PASS","score":1}]}`)

// BenchmarkNew builds a completion event, its id included.
func BenchmarkNew(b *testing.B) {
	ref := verification.Ref{Provider: verification.ProviderAdvance, ID: "f302f5d2454a85c2"}
	res := verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "PASS", Data: benchResult}
	enq := time.Date(2026, 11, 22, 10, 14, 41, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if ev := event.New(ref, res, 4, enq, enq.Add(time.Minute)); ev.ID == "" {
			b.Fatal("no event id")
		}
	}
}

// BenchmarkMarshal encodes a completion event as JSON, the default body and
// the stored form's core.
func BenchmarkMarshal(b *testing.B) {
	ref := verification.Ref{Provider: verification.ProviderAdvance, ID: "f302f5d2454a85c2"}
	res := verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "PASS", Data: benchResult}
	enq := time.Date(2026, 11, 22, 10, 14, 41, 0, time.UTC)
	ev := event.New(ref, res, 4, enq, enq.Add(time.Minute))
	b.ReportAllocs()
	b.SetBytes(int64(len(benchResult)))
	for b.Loop() {
		if _, err := json.Marshal(ev); err != nil {
			b.Fatal(err)
		}
	}
}
