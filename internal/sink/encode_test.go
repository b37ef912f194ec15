package sink_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/sink"
	"github.com/kycpoller/kycpoller/internal/verification"
)

func encode(t *testing.T, enc sink.Encoder, ev *event.Event) (string, string) {
	t.Helper()
	body, ct, err := enc.Encode(ev)
	if err != nil {
		t.Fatalf("Encode(%+v): %v", enc, err)
	}
	if !json.Valid(body) {
		t.Fatalf("Encode(%+v) gave invalid JSON: %s", enc, body)
	}
	return string(body), ct
}

func TestEncodeDefaultIsTheEventJSON(t *testing.T) {
	t.Parallel()
	ev := testEvent("v-default")
	want, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []sink.Encoder{{}, {IncludeImages: true}} {
		body, ct := encode(t, enc, ev)
		if body != string(want) {
			t.Errorf("%+v: body\n%s\nwant\n%s", enc, body, want)
		}
		if ct != sink.ContentTypeJSON {
			t.Errorf("%+v: content type %q", enc, ct)
		}
	}
	if strings.Contains(string(want), ev.ID) {
		t.Errorf("the default body carries the event id: %s", want)
	}
}

func TestEncodeCloudEvents(t *testing.T) {
	t.Parallel()
	ev := testEvent("v-ce")
	body, ct := encode(t, sink.Encoder{Format: sink.FormatCloudEvents}, ev)
	if ct != "application/cloudevents+json" {
		t.Errorf("content type %q", ct)
	}
	data, err := json.Marshal(ev.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"kycpoller/advance","type":"verification.completed",`+
		`"time":"2025-01-02T03:06:05Z","datacontenttype":"application/json","subject":"advance/v-ce","data":%s}`, ev.ID, data)
	if body != want {
		t.Errorf("body\n%s\nwant\n%s", body, want)
	}
	var ce struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal([]byte(body), &ce); err != nil || !ce.Time.Equal(ev.Timestamp) {
		t.Errorf("time %v (%v), want %v", ce.Time, err, ev.Timestamp)
	}

	// Milliseconds are kept, in RFC 3339.
	ev.Timestamp = time.Date(2025, 1, 2, 3, 4, 5, 120e6, time.UTC)
	body, _ = encode(t, sink.Encoder{Format: sink.FormatCloudEvents}, ev)
	if !strings.Contains(body, `"time":"2025-01-02T03:04:05.12Z"`) {
		t.Errorf("time not RFC 3339 with milliseconds: %s", body)
	}

	noID := testEvent("v-ce")
	noID.ID = ""
	if _, _, err := (sink.Encoder{Format: sink.FormatCloudEvents}).Encode(noID); err == nil {
		t.Error("a CloudEvents event without id was encoded")
	}
}

func TestEncodeOmitResult(t *testing.T) {
	t.Parallel()
	ev := testEvent("v-omit")
	for _, enc := range []sink.Encoder{
		{OmitResult: true},
		{OmitResult: true, IncludeImages: true},
		{OmitResult: true, Format: sink.FormatCloudEvents},
	} {
		body, _ := encode(t, enc, ev)
		if strings.Contains(body, personalMarker) || !strings.Contains(body, `"result":null`) {
			t.Errorf("%+v: result not null: %s", enc, body)
		}
		if !strings.Contains(body, `"verification_id":"v-omit"`) {
			t.Errorf("%+v: data lost more than the result: %s", enc, body)
		}
	}
	// The event itself is not modified.
	if !bytes.Contains(ev.Data.Result, []byte(personalMarker)) {
		t.Errorf("Encode modified the event's result: %s", ev.Data.Result)
	}
}

func TestEncodeRefusesWhatItCannotSend(t *testing.T) {
	t.Parallel()
	bad := testEvent("v-bad")
	bad.Data.Result = json.RawMessage(`{"name":"` + personalMarker + `"`)
	for _, enc := range []sink.Encoder{{}, {IncludeImages: true}, {Format: sink.FormatCloudEvents}} {
		_, _, err := enc.Encode(bad)
		if err == nil {
			t.Errorf("%+v: truncated result encoded", enc)
			continue
		}
		if strings.Contains(err.Error(), personalMarker) {
			t.Errorf("%+v: error quotes event data: %v", enc, err)
		}
	}
	if _, _, err := (sink.Encoder{}).Encode(nil); err == nil {
		t.Error("nil event encoded")
	}
	xml := sink.Encoder{Format: "xml"}
	if err := xml.Validate(); err == nil || !strings.Contains(err.Error(), "Format") {
		t.Errorf("Validate = %v, want an error naming Format", err)
	}
	if _, _, err := xml.Encode(testEvent("v-xml")); err == nil {
		t.Error("unknown format encoded")
	}
}

func TestEncodeWithoutResult(t *testing.T) {
	t.Parallel()
	ref := verification.Ref{Provider: verification.ProviderAdvance, ID: "v-timeout"}
	ev := event.New(ref, verification.Result{Final: true, Status: verification.StatusTimeout}, 9, time.Unix(0, 0), time.Unix(60, 0))
	want, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := encode(t, sink.Encoder{}, ev); body != string(want) {
		t.Errorf("body %s, want %s", body, want)
	}
	ev.Data.Result = nil // an event built by hand
	if body, _ := encode(t, sink.Encoder{}, ev); !strings.Contains(body, `"result":null`) {
		t.Errorf("nil result: %s", body)
	}
}
