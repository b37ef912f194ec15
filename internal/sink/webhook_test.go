package sink_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/fake/receiver"
	"github.com/kycpoller/kycpoller/internal/sink"
	"github.com/kycpoller/kycpoller/internal/stdwebhook"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// Markers that must never show up in an error string.
const (
	personalMarker = "PERSONAL-DATA-MARKER"
	responseMarker = "RESPONSE-BODY-MARKER"
	urlTokenMarker = "URL-TOKEN-MARKER"
)

func secret(b byte) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), 32)))
}

func testEvent(id string) *event.Event {
	ref := verification.Ref{Provider: verification.ProviderAdvance, ID: id}
	res := verification.Result{
		Final:          true,
		Status:         verification.StatusPass,
		ProviderStatus: "pass",
		Data:           json.RawMessage(`{"name":"` + personalMarker + `","score":0.98}`),
	}
	enq := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return event.New(ref, res, 3, enq, enq.Add(2*time.Minute))
}

func newWebhook(t *testing.T, opts sink.WebhookOptions) *sink.Webhook {
	t.Helper()
	if opts.Secrets == nil {
		opts.Secrets = []string{secret('a')}
	}
	w, err := sink.NewWebhook(opts)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	return w
}

func retryable(t *testing.T, err error) *sink.RetryableError {
	t.Helper()
	var re *sink.RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want a *sink.RetryableError", err, err)
	}
	if sink.IsPermanent(err) {
		t.Fatalf("err = %v is both retryable and permanent", err)
	}
	return re
}

// clock returns the given times in turn, one per call.
func clock(times ...time.Time) func() time.Time {
	var i atomic.Int64
	return func() time.Time { return times[min(int(i.Add(1))-1, len(times)-1)] }
}

func TestDeliverIsVerifiedByOfficialLibrary(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
	// Within the receiver's five-minute tolerance, a minute apart.
	t1 := time.Now().Add(-90 * time.Second)
	t2 := t1.Add(time.Minute)
	w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL(), Now: clock(t1, t2)})
	ev := testEvent("v-official")

	for range 2 {
		if err := w.Deliver(context.Background(), ev); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}

	got := rcv.Accepted()
	if len(got) != 2 {
		t.Fatalf("accepted %d deliveries, want 2", len(got))
	}
	want, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range got {
		if d.EventID != ev.ID || d.Event.ID != ev.ID {
			t.Errorf("delivery %d: webhook-id %q, event id %q; want %q", i, d.EventID, d.Event.ID, ev.ID)
		}
		if d.Attempt != i+1 {
			t.Errorf("delivery %d: attempt %d, want %d", i, d.Attempt, i+1)
		}
		if string(d.Body) != string(want) {
			t.Errorf("delivery %d: body\n%s\nwant\n%s", i, d.Body, want)
		}
		if ct := d.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("delivery %d: Content-Type %q", i, ct)
		}
		if ua := d.Header.Get("User-Agent"); ua != sink.DefaultUserAgent {
			t.Errorf("delivery %d: User-Agent %q", i, ua)
		}
		if d.Event.Data.VerificationID != "v-official" || d.Event.Type != event.TypeCompleted {
			t.Errorf("delivery %d: decoded event %+v", i, d.Event)
		}
	}
	if !got[0].Timestamp.Equal(time.Unix(t1.Unix(), 0)) || !got[1].Timestamp.Equal(time.Unix(t2.Unix(), 0)) {
		t.Errorf("timestamps %v, %v; want %v, %v", got[0].Timestamp, got[1].Timestamp, t1.Unix(), t2.Unix())
	}
	if s0, s1 := got[0].Header.Get(stdwebhook.HeaderSignature), got[1].Header.Get(stdwebhook.HeaderSignature); s0 == s1 || s0 == "" {
		t.Errorf("both attempts carry signature %q; each attempt must be signed afresh", s0)
	}
}

func TestDeliverSignsWithEverySecretDuringRotation(t *testing.T) {
	t.Parallel()
	oldSec, newSec := secret('o'), secret('n')
	for _, rcvSecret := range []string{oldSec, newSec} {
		rcv := receiver.Start(t, receiver.Options{Secret: rcvSecret})
		w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL(), Secrets: []string{oldSec, newSec}})
		if err := w.Deliver(context.Background(), testEvent("v-rotation")); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		got := rcv.Accepted()
		if len(got) != 1 {
			t.Fatalf("accepted %d deliveries, want 1", len(got))
		}
		if sigs := strings.Fields(got[0].Header.Get(stdwebhook.HeaderSignature)); len(sigs) != 2 {
			t.Errorf("signature header holds %d signatures, want 2", len(sigs))
		}
	}
}

func TestDeliverWithWrongSecretIsRejected(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: secret('r')})
	w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL(), Secrets: []string{secret('w')}})
	err := w.Deliver(context.Background(), testEvent("v-wrong-secret"))
	if re := retryable(t, err); re.StatusCode != http.StatusUnauthorized {
		t.Errorf("StatusCode = %d, want 401", re.StatusCode)
	}
	if rcv.Rejected() != 1 || len(rcv.Accepted()) != 0 {
		t.Errorf("rejected %d, accepted %d; want 1, 0", rcv.Rejected(), len(rcv.Accepted()))
	}
}

func TestDeliverDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
	}))
	t.Cleanup(target.Close)

	for _, code := range []int{301, 302, 303, 307, 308} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL, code)
		}))
		t.Cleanup(redirector.Close)
		// A caller's client that would follow redirects must not either.
		for _, client := range []*http.Client{nil, {}} {
			w := newWebhook(t, sink.WebhookOptions{URL: redirector.URL, HTTPClient: client})
			err := w.Deliver(context.Background(), testEvent("v-redirect"))
			if re := retryable(t, err); re.StatusCode != code {
				t.Errorf("%d: StatusCode = %d", code, re.StatusCode)
			}
		}
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("redirect target got %d requests, want 0", n)
	}

	// The fake receiver redirects to itself: one request only.
	rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
	rcv.SetStatus(http.StatusMovedPermanently)
	w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL()})
	if re := retryable(t, w.Deliver(context.Background(), testEvent("v-redirect"))); re.StatusCode != http.StatusMovedPermanently {
		t.Errorf("StatusCode = %d, want 301", re.StatusCode)
	}
	if rcv.Requests() != 1 {
		t.Errorf("receiver saw %d requests, want 1", rcv.Requests())
	}
}

func TestDeliverGoneIsPermanent(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
	rcv.SetStatus(http.StatusGone)
	w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL()})
	err := w.Deliver(context.Background(), testEvent("v-gone"))
	var pe *sink.PermanentError
	if !errors.As(err, &pe) || !sink.IsPermanent(err) {
		t.Fatalf("err = %v, want a *sink.PermanentError", err)
	}
	if pe.StatusCode != http.StatusGone {
		t.Errorf("StatusCode = %d, want 410", pe.StatusCode)
	}
	var re *sink.RetryableError
	if errors.As(err, &re) {
		t.Errorf("410 is also retryable: %v", err)
	}
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status     int
		retryAfter string
		want       time.Duration
	}{
		{429, "7", 7 * time.Second},
		{503, "7", 7 * time.Second},
		{502, "1", time.Second},
		{504, "120", 2 * time.Minute},
		{503, "", 0},
		{503, "soon", 0},
		{503, "-5", 0},
		{429, "999999999999999999999", sink.MaxRetryAfter},
		{500, "7", 0}, // only the slow-down statuses carry a hint
	} {
		rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
		rcv.FailNext(1, tc.status, tc.retryAfter)
		w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL()})
		ev := testEvent("v-retry-after")
		err := w.Deliver(context.Background(), ev)
		re := retryable(t, err)
		if re.StatusCode != tc.status || re.RetryAfter != tc.want || sink.RetryAfter(err) != tc.want {
			t.Errorf("%d Retry-After %q: got status %d, RetryAfter %v; want %v", tc.status, tc.retryAfter, re.StatusCode, re.RetryAfter, tc.want)
		}
		// The failure was the receiver's only one: the retry goes through.
		if err := w.Deliver(context.Background(), ev); err != nil {
			t.Errorf("%d: retry: %v", tc.status, err)
		}
	}
}

func TestDeliverHonoursRetryAfterDate(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
	rcv.FailNext(1, http.StatusServiceUnavailable, now.Add(90*time.Second).UTC().Format(http.TimeFormat))
	w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL(), Now: func() time.Time { return now }})
	err := w.Deliver(context.Background(), testEvent("v-date"))
	if got := sink.RetryAfter(retryable(t, err)); got != 90*time.Second {
		t.Errorf("RetryAfter = %v, want 90s", got)
	}
}

func TestDeliverTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client leaving
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first
	const timeout = 200 * time.Millisecond
	w := newWebhook(t, sink.WebhookOptions{URL: srv.URL, Timeout: timeout})
	start := time.Now()
	err := w.Deliver(context.Background(), testEvent("v-timeout"))
	elapsed := time.Since(start)
	if re := retryable(t, err); re.StatusCode != 0 {
		t.Errorf("StatusCode = %d, want 0", re.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("Deliver returned after %v, want about %v", elapsed, timeout)
	}
}

func TestDeliverNetworkErrorAndCancellation(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now

	w := newWebhook(t, sink.WebhookOptions{URL: "http://" + addr + "/hook?token=" + urlTokenMarker})
	err = w.Deliver(context.Background(), testEvent("v-refused"))
	if re := retryable(t, err); re.StatusCode != 0 {
		t.Errorf("StatusCode = %d, want 0", re.StatusCode)
	}
	if strings.Contains(err.Error(), urlTokenMarker) {
		t.Errorf("error quotes the URL: %v", err)
	}

	rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
	w = newWebhook(t, sink.WebhookOptions{URL: rcv.URL()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = w.Deliver(ctx, testEvent("v-cancelled"))
	retryable(t, err)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
}

// Receivers may echo what they were sent; errors must carry neither the
// response body nor event data, the secret or the URL's query.
func TestDeliverErrorsCarryNoBodiesOrData(t *testing.T) {
	t.Parallel()
	sec := secret('s')
	for _, code := range []int{400, 401, 404, 410, 429, 500, 503, 302} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Location", "/elsewhere?"+responseMarker)
			w.Header().Set("Retry-After", responseMarker)
			w.WriteHeader(code)
			fmt.Fprintf(w, "%s echo: %s", responseMarker, body)
		}))
		t.Cleanup(srv.Close)
		w := newWebhook(t, sink.WebhookOptions{URL: srv.URL + "/?token=" + urlTokenMarker, Secrets: []string{sec}})
		err := w.Deliver(context.Background(), testEvent("v-echo"))
		if err == nil {
			t.Fatalf("%d: no error", code)
		}
		msg := err.Error()
		for _, bad := range []string{responseMarker, personalMarker, urlTokenMarker, strings.TrimPrefix(sec, "whsec_"), "echo"} {
			if strings.Contains(msg, bad) {
				t.Errorf("%d: error %q contains %q", code, msg, bad)
			}
		}
		if !strings.Contains(msg, fmt.Sprint(code)) {
			t.Errorf("%d: error %q does not name the status", code, msg)
		}
	}
}

func TestDeliverRefusesEventsItCannotSend(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
	w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL()})

	bad := testEvent("v-bad")
	bad.Data.Result = json.RawMessage(`{"name":"` + personalMarker + `"`) // truncated JSON
	noID := testEvent("v-no-id")
	noID.ID = ""
	for name, ev := range map[string]*event.Event{"nil": nil, "no id": noID, "bad json": bad} {
		err := w.Deliver(context.Background(), ev)
		if !sink.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
			continue
		}
		if strings.Contains(err.Error(), personalMarker) {
			t.Errorf("%s: error quotes event data: %v", name, err)
		}
	}
	if rcv.Requests() != 0 {
		t.Errorf("receiver saw %d requests, want 0", rcv.Requests())
	}
}

func TestDeliverConcurrently(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
	w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL(), UserAgent: "kycpoller-test"})
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Deliver(context.Background(), testEvent(fmt.Sprintf("v-%02d", i))); err != nil {
				t.Errorf("Deliver %d: %v", i, err)
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rcv.WaitAccepted(ctx, n); err != nil {
		t.Fatalf("WaitAccepted: %v", err)
	}
	wg.Wait()
	if got := len(rcv.ByVerification()); got != n {
		t.Errorf("%d verifications delivered, want %d", got, n)
	}
	for _, d := range rcv.Accepted() {
		if ua := d.Header.Get("User-Agent"); ua != "kycpoller-test" {
			t.Errorf("User-Agent %q", ua)
		}
	}
}

func TestNewWebhookValidatesOptions(t *testing.T) {
	t.Parallel()
	good := secret('g')
	for _, tc := range []struct {
		name  string
		opts  sink.WebhookOptions
		field string
	}{
		{"no url", sink.WebhookOptions{Secrets: []string{good}}, "URL"},
		{"relative url", sink.WebhookOptions{URL: "/hook", Secrets: []string{good}}, "URL"},
		{"ftp url", sink.WebhookOptions{URL: "ftp://x/" + urlTokenMarker, Secrets: []string{good}}, "URL"},
		{"bad url", sink.WebhookOptions{URL: "http://%zz/" + urlTokenMarker, Secrets: []string{good}}, "URL"},
		{"no secret", sink.WebhookOptions{URL: "http://x"}, "Secrets"},
		{"short secret", sink.WebhookOptions{URL: "http://x", Secrets: []string{good, "whsec_c2hvcnQ="}}, "Secrets"},
		{"negative timeout", sink.WebhookOptions{URL: "http://x", Secrets: []string{good}, Timeout: -time.Second}, "Timeout"},
		{"unknown format", sink.WebhookOptions{URL: "http://x", Secrets: []string{good}, Encoder: sink.Encoder{Format: "xml"}}, "Format"},
	} {
		_, err := sink.NewWebhook(tc.opts)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %q does not name %s", tc.name, err, tc.field)
		}
		if strings.Contains(err.Error(), urlTokenMarker) || strings.Contains(err.Error(), "c2hvcnQ") {
			t.Errorf("%s: error echoes its input: %v", tc.name, err)
		}
	}
}

func TestDeliverCloudEventsFormat(t *testing.T) {
	t.Parallel()
	sec := secret('c')
	verifier, err := standardwebhooks.NewWebhook(sec)
	if err != nil {
		t.Fatal(err)
	}
	type request struct {
		header http.Header
		body   []byte
	}
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(body, r.Header); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		got <- request{r.Header.Clone(), body}
	}))
	t.Cleanup(srv.Close)

	enc := sink.Encoder{Format: sink.FormatCloudEvents}
	w := newWebhook(t, sink.WebhookOptions{URL: srv.URL, Secrets: []string{sec}, Encoder: enc})
	ev := testEvent("v-cloudevents")
	if err := w.Deliver(context.Background(), ev); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	req := <-got
	if ct := req.header.Get("Content-Type"); ct != sink.ContentTypeCloudEvents {
		t.Errorf("Content-Type %q, want %q", ct, sink.ContentTypeCloudEvents)
	}
	if id := req.header.Get(stdwebhook.HeaderID); id != ev.ID {
		t.Errorf("webhook-id %q, want %q", id, ev.ID)
	}
	want, _, err := enc.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if string(req.body) != string(want) {
		t.Errorf("body\n%s\nwant\n%s", req.body, want)
	}
	var ce struct {
		SpecVersion string `json:"specversion"`
		ID          string `json:"id"`
	}
	if err := json.Unmarshal(req.body, &ce); err != nil || ce.SpecVersion != "1.0" || ce.ID != ev.ID {
		t.Errorf("body is not a CloudEvent with the event id: %s", req.body)
	}
}

func TestDeliverReplacesImagesByDefault(t *testing.T) {
	t.Parallel()
	img := base64.StdEncoding.EncodeToString(imageBytes(10, 2000))
	ev := testEvent("v-images")
	ev.Data.Result = json.RawMessage(`{"faceImg":"` + img + `","score":0.98}`)
	for _, tc := range []struct {
		enc       sink.Encoder
		wantImage bool
	}{{sink.Encoder{}, false}, {sink.Encoder{IncludeImages: true}, true}} {
		rcv := receiver.Start(t, receiver.Options{Secret: secret('a')})
		w := newWebhook(t, sink.WebhookOptions{URL: rcv.URL(), Encoder: tc.enc})
		if err := w.Deliver(context.Background(), ev); err != nil {
			t.Fatalf("%+v: Deliver: %v", tc.enc, err)
		}
		d := rcv.Accepted()
		if len(d) != 1 {
			t.Fatalf("%+v: %d deliveries", tc.enc, len(d))
		}
		if has := strings.Contains(string(d[0].Body), img); has != tc.wantImage {
			t.Errorf("%+v: body holds the image: %v, want %v", tc.enc, has, tc.wantImage)
		}
	}
}

// Go's transport quotes the bytes of a malformed response in its error; a
// receiver's bytes must not reach logs or the dashboard.
func TestDeliverErrorDoesNotQuoteMalformedResponse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 PERSONAL-DATA-MARKER OK\r\n\r\n"))
			_ = c.Close()
		}
	}()
	w, err := sink.NewWebhook(sink.WebhookOptions{URL: "http://" + ln.Addr().String() + "/kyc", Secrets: []string{secret('m')}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Deliver(context.Background(), testEvent("evt_malformed"))
	if err == nil {
		t.Fatal("a malformed response was accepted")
	}
	if strings.Contains(err.Error(), "PERSONAL-DATA-MARKER") {
		t.Fatalf("error quotes the receiver's bytes: %v", err)
	}
}
