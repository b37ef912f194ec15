package receiver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kycpoller/kycpoller/internal/fake/receiver"
	"github.com/kycpoller/kycpoller/internal/stdwebhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	testSecret  = "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("r", 32)))
	otherSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("o", 32)))
)

// noRedirects is a client that shows 3xx answers as they are.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type request struct {
	secret string
	id     string
	at     time.Time
	body   string
	// contentType defaults to application/json; "-" sends none.
	contentType string
}

func body(provider, verificationID string) string {
	return fmt.Sprintf(`{"type":"verification.completed","timestamp":"2025-01-02T03:04:05Z","data":{"provider":%q,"verification_id":%q,"status":"PASS","result":null}}`, provider, verificationID)
}

// post sends one signed request and returns the response status and
// Retry-After and Location headers.
func post(t *testing.T, url string, r request) (status int, header http.Header) {
	t.Helper()
	if r.secret == "" {
		r.secret = testSecret
	}
	if r.at.IsZero() {
		r.at = time.Now()
	}
	if r.body == "" {
		r.body = body("advance", "v-1")
	}
	signer, err := stdwebhook.NewSigner(r.secret)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	switch r.contentType {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set(stdwebhook.HeaderID, r.id)
	req.Header.Set(stdwebhook.HeaderTimestamp, strconv.FormatInt(r.at.Unix(), 10))
	req.Header.Set(stdwebhook.HeaderSignature, signer.Sign(r.id, r.at, []byte(r.body)))
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func TestReceiverAcceptsAndRecords(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		notified []receiver.Delivery
	)
	rcv := receiver.Start(t, receiver.Options{Secret: testSecret, OnDelivery: func(d receiver.Delivery) {
		mu.Lock()
		defer mu.Unlock()
		notified = append(notified, d)
	}})
	at := time.Now().Add(-time.Minute)
	b := body("advance", "v-rec")
	if got, _ := post(t, rcv.URL()+"/hooks/kyc", request{id: "evt_a", at: at, body: b}); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	if got, _ := post(t, rcv.URL(), request{id: "evt_a", body: b}); got != http.StatusOK {
		t.Fatalf("second status %d, want 200", got)
	}
	if got, _ := post(t, rcv.URL(), request{id: "evt_b", body: body("zoloz", "v-z")}); got != http.StatusOK {
		t.Fatalf("third status %d, want 200", got)
	}

	acc := rcv.Accepted()
	if len(acc) != 3 {
		t.Fatalf("accepted %d, want 3", len(acc))
	}
	d := acc[0]
	if d.EventID != "evt_a" || d.Event.ID != "evt_a" || d.Attempt != 1 || d.Status != http.StatusOK {
		t.Errorf("first delivery: id %q/%q attempt %d status %d", d.EventID, d.Event.ID, d.Attempt, d.Status)
	}
	if !d.Timestamp.Equal(time.Unix(at.Unix(), 0)) {
		t.Errorf("Timestamp %v, want %v", d.Timestamp, at.Unix())
	}
	if string(d.Body) != b || d.Event.Data.VerificationID != "v-rec" || d.ReceivedAt.IsZero() {
		t.Errorf("first delivery body %q, event %+v", d.Body, d.Event)
	}
	if acc[1].Attempt != 2 || acc[2].Attempt != 1 {
		t.Errorf("attempts %d, %d; want 2, 1", acc[1].Attempt, acc[2].Attempt)
	}
	if ids := rcv.EventIDs(); len(ids) != 2 || ids["evt_a"] != 2 || ids["evt_b"] != 1 {
		t.Errorf("EventIDs = %v", ids)
	}
	byV := rcv.ByVerification()
	if len(byV["advance/v-rec"]) != 2 || len(byV["zoloz/v-z"]) != 1 {
		t.Errorf("ByVerification keys: %v", keys(byV))
	}
	if rcv.Requests() != 3 || rcv.Rejected() != 0 {
		t.Errorf("requests %d, rejected %d; want 3, 0", rcv.Requests(), rcv.Rejected())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notified) != 3 || notified[2].EventID != "evt_b" {
		t.Errorf("OnDelivery saw %d deliveries", len(notified))
	}
}

func keys(m map[string][]receiver.Delivery) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestReceiverRejectsBadRequests(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: testSecret})
	for _, tc := range []struct {
		name string
		req  request
	}{
		{"other secret", request{id: "evt_1", secret: otherSecret}},
		{"stale timestamp", request{id: "evt_1", at: time.Now().Add(-10 * time.Minute)}},
		{"future timestamp", request{id: "evt_1", at: time.Now().Add(10 * time.Minute)}},
		{"no id", request{}},
	} {
		if got, _ := post(t, rcv.URL(), tc.req); got != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tc.name, got)
		}
	}
	// A body changed after signing.
	req, _ := http.NewRequest(http.MethodPost, rcv.URL(), strings.NewReader(body("advance", "v-2")))
	signer, _ := stdwebhook.NewSigner(testSecret)
	now := time.Now()
	req.Header.Set(stdwebhook.HeaderID, "evt_1")
	req.Header.Set(stdwebhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(stdwebhook.HeaderSignature, signer.Sign("evt_1", now, []byte(body("advance", "v-1"))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("changed body: status %d, want 401", resp.StatusCode)
	}
	if rcv.Rejected() != 5 || rcv.Requests() != 5 || len(rcv.Accepted()) != 0 {
		t.Errorf("rejected %d, requests %d, accepted %d; want 5, 5, 0", rcv.Rejected(), rcv.Requests(), len(rcv.Accepted()))
	}

	// Well signed, but not an event or not JSON: refused, not counted as
	// rejected signatures.
	if got, _ := post(t, rcv.URL(), request{id: "evt_2", body: "not json"}); got != http.StatusBadRequest {
		t.Errorf("not json: status %d, want 400", got)
	}
	for _, ct := range []string{"-", "text/plain"} {
		if got, _ := post(t, rcv.URL(), request{id: "evt_3", contentType: ct}); got != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: status %d, want 415", ct, got)
		}
	}
	if got, _ := post(t, rcv.URL(), request{id: "evt_4", contentType: "application/json; charset=utf-8"}); got != http.StatusOK {
		t.Errorf("JSON with charset: status %d, want 200", got)
	}
	resp, err = http.Get(rcv.URL())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
	big := bytes.Repeat([]byte{' '}, receiver.MaxBodyBytes+1)
	resp, err = http.Post(rcv.URL(), "application/json", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("large body: status %d, want 413", resp.StatusCode)
	}
	if rcv.Rejected() != 5 || len(rcv.Accepted()) != 1 {
		t.Errorf("rejected %d, accepted %d; want 5, 1", rcv.Rejected(), len(rcv.Accepted()))
	}
}

func TestReceiverFailNext(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: testSecret})
	rcv.FailNext(2, http.StatusServiceUnavailable, "2")
	for i := range 2 {
		status, h := post(t, rcv.URL(), request{id: "evt_f"})
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") != "2" {
			t.Errorf("request %d: status %d, Retry-After %q; want 503, 2", i+1, status, h.Get("Retry-After"))
		}
	}
	if status, _ := post(t, rcv.URL(), request{id: "evt_f"}); status != http.StatusOK {
		t.Errorf("third request: status %d, want 200", status)
	}
	acc := rcv.Accepted()
	if len(acc) != 1 || acc[0].Attempt != 3 {
		t.Errorf("accepted %+v, want one delivery at attempt 3", acc)
	}
	if rcv.Requests() != 3 || rcv.Rejected() != 0 {
		t.Errorf("requests %d, rejected %d; want 3, 0", rcv.Requests(), rcv.Rejected())
	}
}

func TestReceiverSetDownAndSetStatus(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: testSecret})
	rcv.SetDown(true)
	for range 3 {
		if status, _ := post(t, rcv.URL(), request{id: "evt_d"}); status != http.StatusServiceUnavailable {
			t.Errorf("down: status %d, want 503", status)
		}
	}
	rcv.SetDown(false)
	if status, _ := post(t, rcv.URL(), request{id: "evt_d"}); status != http.StatusOK {
		t.Errorf("up again: status %d, want 200", status)
	}

	rcv.SetStatus(http.StatusGone)
	if status, _ := post(t, rcv.URL(), request{id: "evt_s"}); status != http.StatusGone {
		t.Errorf("SetStatus(410): status %d", status)
	}
	rcv.SetStatus(http.StatusMovedPermanently)
	status, h := post(t, rcv.URL(), request{id: "evt_s"})
	if status != http.StatusMovedPermanently || h.Get("Location") != receiver.RedirectPath {
		t.Errorf("SetStatus(301): status %d, Location %q", status, h.Get("Location"))
	}
	rcv.SetStatus(0)
	if status, _ := post(t, rcv.URL(), request{id: "evt_s"}); status != http.StatusOK {
		t.Errorf("reset: status %d, want 200", status)
	}
	if ids := rcv.EventIDs(); ids["evt_d"] != 1 || ids["evt_s"] != 1 {
		t.Errorf("EventIDs = %v", ids)
	}
	if f := rcv.Failures(); f != (receiver.Failures{Down: 3, Status: 2}) || f.Total() != 5 {
		t.Errorf("Failures = %+v, want 3 down and 2 by status", f)
	}
}

func TestReceiverFailRate(t *testing.T) {
	t.Parallel()
	const n, p = 1000, 0.3
	run := func() []bool {
		rcv := receiver.Start(t, receiver.Options{Secret: testSecret, Seed: 42})
		rcv.SetFailRate(p)
		failed := make([]bool, n)
		for i := range failed {
			status, _ := post(t, rcv.URL(), request{id: fmt.Sprintf("evt_%d", i)})
			switch status {
			case http.StatusOK:
			case http.StatusInternalServerError:
				failed[i] = true
			default:
				t.Fatalf("request %d: status %d", i, status)
			}
		}
		if got, want := rcv.Failures().Random, countTrue(failed); got != want {
			t.Errorf("Failures().Random = %d, want %d", got, want)
		}
		return failed
	}
	first, second := run(), run()
	// Seed on a running Receiver restarts the same sequence.
	rcv := receiver.Start(t, receiver.Options{Secret: testSecret, Seed: 7})
	rcv.Seed(42)
	rcv.SetFailRate(p)
	for i := range first {
		status, _ := post(t, rcv.URL(), request{id: fmt.Sprintf("evt_%d", i)})
		if (status == http.StatusInternalServerError) != first[i] {
			t.Fatalf("request %d after Seed(42): status %d, unlike Options.Seed 42", i, status)
		}
	}
	count := 0
	for i := range first {
		if first[i] {
			count++
		}
		if first[i] != second[i] {
			t.Fatalf("request %d: the same seed gave a different outcome", i)
		}
	}
	// Binomial(1000, 0.3): mean 300, standard deviation about 14.5.
	if count < 240 || count > 360 {
		t.Errorf("%d of %d requests failed at rate %v", count, n, p)
	}
}

func TestReceiverWaitAccepted(t *testing.T) {
	t.Parallel()
	rcv := receiver.Start(t, receiver.Options{Secret: testSecret})

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- rcv.WaitAccepted(ctx, 3)
	}()
	// A duplicate does not count as a new event id.
	for _, id := range []string{"evt_1", "evt_1", "evt_2"} {
		post(t, rcv.URL(), request{id: id})
	}
	select {
	case err := <-done:
		t.Fatalf("WaitAccepted returned %v with two event ids accepted", err)
	default:
	}
	post(t, rcv.URL(), request{id: "evt_3"})
	if err := <-done; err != nil {
		t.Fatalf("WaitAccepted: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := rcv.WaitAccepted(ctx, 4); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitAccepted(4) = %v, want context.DeadlineExceeded", err)
	}
}

func TestListen(t *testing.T) {
	t.Parallel()
	rcv, err := receiver.Listen("127.0.0.1:0", receiver.Options{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := post(t, rcv.URL(), request{id: "evt_l"}); status != http.StatusOK {
		t.Errorf("status %d, want 200", status)
	}
	if err := rcv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := rcv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if resp, err := http.Post(rcv.URL(), "application/json", strings.NewReader("{}")); err == nil {
		_ = resp.Body.Close()
		t.Error("request after Close succeeded")
	}
}

func TestNewValidatesSecret(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "whsec_!!!"} {
		if _, err := receiver.New(receiver.Options{Secret: s}); err == nil {
			t.Errorf("New(%q): no error", s)
		}
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
