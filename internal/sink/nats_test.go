package sink_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/natstest"
	"github.com/kycpoller/kycpoller/internal/sink"
)

const credentialMarker = "CREDENTIAL-MARKER"

func newNATS(t *testing.T, opts sink.NATSOptions) *sink.NATS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := sink.NewNATS(ctx, opts)
	if err != nil {
		t.Fatalf("NewNATS: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// jsClient is the test's own view of the server.
func jsClient(t *testing.T, url string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// streamMsgs returns every message of the stream, oldest first.
func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get message %d: %v", seq, err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func TestNATSDeliver(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	js := jsClient(t, srv.URL)
	for _, enc := range []sink.Encoder{{}, {Format: sink.FormatCloudEvents}} {
		name := "EVENTS" + strings.ToUpper(string(enc.Format))
		subject := "kycpoller.events." + cmpOr(string(enc.Format), "default")
		n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: subject, Stream: name, Encoder: enc})
		ev := testEvent("v-nats")
		if err := n.Deliver(context.Background(), ev); err != nil {
			t.Fatalf("%s: Deliver: %v", name, err)
		}
		msgs := streamMsgs(t, js, name)
		if len(msgs) != 1 {
			t.Fatalf("%s: %d messages, want 1", name, len(msgs))
		}
		want, ct, err := enc.Encode(ev)
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[0]
		if m.Subject != subject || string(m.Data) != string(want) {
			t.Errorf("%s: message on %q: %s; want %q: %s", name, m.Subject, m.Data, subject, want)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != ev.ID {
			t.Errorf("%s: Nats-Msg-Id %q, want %q", name, got, ev.ID)
		}
		if got := m.Header.Get("Content-Type"); got != ct {
			t.Errorf("%s: Content-Type %q, want %q", name, got, ct)
		}
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// The server de-duplicates on the event id: a repeated delivery (a retry
// after a lost acknowledgement) is acknowledged as a duplicate and stored
// once, and counts as delivered.
func TestNATSDeduplicatesOnEventID(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "kyc.done", Stream: "KYC", DuplicateWindow: 10 * time.Minute})
	ev := testEvent("v-twice")
	for i := range 3 {
		if err := n.Deliver(context.Background(), ev); err != nil {
			t.Fatalf("Deliver %d: %v", i+1, err)
		}
	}
	// The duplicate acknowledgement is what the sink saw on the repeats.
	js := jsClient(t, srv.URL)
	ack, err := js.Publish(context.Background(), "kyc.done", []byte("x"), jetstream.WithMsgID(ev.ID))
	if err != nil || !ack.Duplicate {
		t.Errorf("publishing the id again: ack %+v, %v; want a duplicate", ack, err)
	}
	if msgs := streamMsgs(t, js, "KYC"); len(msgs) != 1 {
		t.Errorf("stream holds %d messages, want 1", len(msgs))
	}
	if err := n.Deliver(context.Background(), testEvent("v-other")); err != nil {
		t.Fatal(err)
	}
	if msgs := streamMsgs(t, js, "KYC"); len(msgs) != 2 {
		t.Errorf("stream holds %d messages after a second event, want 2", len(msgs))
	}
	s, err := js.Stream(context.Background(), "KYC")
	if err != nil {
		t.Fatal(err)
	}
	if w := s.CachedInfo().Config.Duplicates; w != 10*time.Minute {
		t.Errorf("duplicate window %v, want 10m", w)
	}
}

// Without a stream for the subject, deliveries fail with a retryable error
// that says so, until an operator creates one.
func TestNATSWithoutStream(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "orphan.events", Timeout: 3 * time.Second})
	start := time.Now()
	err := n.Deliver(context.Background(), testEvent("v-orphan"))
	retryable(t, err)
	if !strings.Contains(err.Error(), "no JetStream stream") || !strings.Contains(err.Error(), "orphan.events") {
		t.Errorf("error %q does not say that no stream stores the subject", err)
	}
	if d := time.Since(start); d > 3*time.Second+time.Second {
		t.Errorf("Deliver took %v", d)
	}

	js := jsClient(t, srv.URL)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "OPS", Subjects: []string{"orphan.>"}}); err != nil {
		t.Fatal(err)
	}
	if err := n.Deliver(context.Background(), testEvent("v-orphan")); err != nil {
		t.Fatalf("Deliver once the stream exists: %v", err)
	}
}

// An existing stream gets the subject added and keeps its other settings.
func TestNATSUpdatesExistingStream(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	js := jsClient(t, srv.URL)
	ctx := context.Background()
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "SHARED", Subjects: []string{"other.*"}, MaxMsgs: 1000, Duplicates: 5 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "kyc.events", Stream: "SHARED"})
	if err := n.Deliver(ctx, testEvent("v-shared")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	s, err := js.Stream(ctx, "SHARED")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if strings.Join(cfg.Subjects, ",") != "other.*,kyc.events" || cfg.MaxMsgs != 1000 || cfg.Duplicates != 5*time.Minute {
		t.Errorf("stream config: subjects %v, max msgs %d, duplicates %v", cfg.Subjects, cfg.MaxMsgs, cfg.Duplicates)
	}

	// A subject the stream already covers through a wildcard is left as is.
	newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "other.kyc", Stream: "SHARED"})
	if s, err = js.Stream(ctx, "SHARED"); err != nil || len(s.CachedInfo().Config.Subjects) != 2 {
		t.Errorf("subjects after a covered subject: %v (%v)", s.CachedInfo().Config.Subjects, err)
	}
}

// A server that is down for a while gets everything once it is back:
// deliveries fail fast and retryably meanwhile, and succeed after the
// client has reconnected.
func TestNATSServerDownThenBack(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	const timeout = 2 * time.Second
	n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "kyc.done", Stream: "KYC", Timeout: timeout})
	if err := n.Deliver(context.Background(), testEvent("v-before")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	srv.Kill()
	for i := range 3 {
		start := time.Now()
		err := n.Deliver(context.Background(), testEvent(fmt.Sprintf("v-down-%d", i)))
		retryable(t, err)
		if d := time.Since(start); d > timeout+500*time.Millisecond {
			t.Errorf("Deliver while down took %v, want at most about %v", d, timeout)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	// The retries the delivery task would make, closer together.
	for i := range 3 {
		ev := testEvent(fmt.Sprintf("v-down-%d", i))
		for {
			err := n.Deliver(ctx, ev)
			if err == nil {
				break
			}
			retryable(t, err)
			select {
			case <-ctx.Done():
				t.Fatalf("no delivery within 10s of the restart: %v", err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	js := jsClient(t, srv.URL)
	msgs := streamMsgs(t, js, "KYC")
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
	}
	want := []string{testEvent("v-before").ID, testEvent("v-down-0").ID, testEvent("v-down-1").ID, testEvent("v-down-2").ID}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("stream holds %v, want %v", ids, want)
	}
}

func TestNATSAuthentication(t *testing.T) {
	t.Parallel()
	const user, pass = "kyc", "s3cret-" + credentialMarker
	srv := natstest.Start(t, natstest.Options{Args: []string{"--user", user, "--pass", pass}})
	n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "kyc.done", Stream: "KYC", User: user, Password: pass})
	if err := n.Deliver(context.Background(), testEvent("v-auth")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	// Credentials in the URL work too.
	inURL := strings.Replace(srv.URL, "nats://", "nats://"+user+":"+pass+"@", 1)
	newNATS(t, sink.NATSOptions{URL: inURL, Subject: "kyc.done"})

	ctx := context.Background()
	for name, opts := range map[string]sink.NATSOptions{
		"wrong password":        {URL: srv.URL, Subject: "kyc.done", User: user, Password: "wrong-" + credentialMarker},
		"wrong password in URL": {URL: strings.Replace(inURL, "s3cret", "wrong", 1), Subject: "kyc.done"},
		"no credentials":        {URL: srv.URL, Subject: "kyc.done"},
	} {
		_, err := sink.NewNATS(ctx, opts)
		if err == nil {
			t.Errorf("%s: connected", name)
			continue
		}
		if strings.Contains(err.Error(), credentialMarker) {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
	}

	tokenSrv := natstest.Start(t, natstest.Options{Args: []string{"--auth", "tok-" + credentialMarker}})
	newNATS(t, sink.NATSOptions{URL: tokenSrv.URL, Subject: "kyc.done", Token: "tok-" + credentialMarker})
	if _, err := sink.NewNATS(ctx, sink.NATSOptions{URL: tokenSrv.URL, Subject: "kyc.done", Token: "bad-" + credentialMarker}); err == nil || strings.Contains(err.Error(), credentialMarker) {
		t.Errorf("wrong token: err = %v, want an error without the token", err)
	}
}

func TestNATSUnreachable(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	url := strings.Replace(srv.URL, "nats://", "nats://u:"+credentialMarker+"@", 1)
	srv.Kill()
	start := time.Now()
	_, err := sink.NewNATS(context.Background(), sink.NATSOptions{URL: url, Subject: "kyc.done", Timeout: time.Second})
	if err == nil {
		t.Fatal("connected to a stopped server")
	}
	if strings.Contains(err.Error(), credentialMarker) {
		t.Errorf("error shows the password: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("NewNATS took %v", d)
	}
}

func TestNATSConcurrentPermanentAndClosed(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "kyc.done", Stream: "KYC"})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every event twice, concurrently.
			ev := testEvent(fmt.Sprintf("v-%02d", i/2))
			if err := n.Deliver(context.Background(), ev); err != nil {
				t.Errorf("Deliver %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	js := jsClient(t, srv.URL)
	if msgs := streamMsgs(t, js, "KYC"); len(msgs) != 10 {
		t.Errorf("stream holds %d messages, want 10", len(msgs))
	}

	bad := testEvent("v-bad")
	bad.Data.Result = json.RawMessage(`{"name":"` + personalMarker + `"`)
	noID := testEvent("v-no-id")
	noID.ID = ""
	for name, ev := range map[string]*event.Event{"nil": nil, "no id": noID, "bad json": bad} {
		err := n.Deliver(context.Background(), ev)
		if !sink.IsPermanent(err) || strings.Contains(err.Error(), personalMarker) {
			t.Errorf("%s: err = %v, want permanent without data", name, err)
		}
	}

	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	retryable(t, n.Deliver(context.Background(), testEvent("v-closed")))
}

func TestNATSStreamConflict(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	js := jsClient(t, srv.URL)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"kyc.>"}}); err != nil {
		t.Fatal(err)
	}
	// Another stream already stores the subject: creating one more fails
	// at start, naming the stream.
	_, err := sink.NewNATS(context.Background(), sink.NATSOptions{URL: srv.URL, Subject: "kyc.done", Stream: "KYC"})
	if err == nil || !strings.Contains(err.Error(), "Stream") {
		t.Errorf("err = %v, want an error naming Stream", err)
	}
	// Without Stream, the operator's stream is used.
	n := newNATS(t, sink.NATSOptions{URL: srv.URL, Subject: "kyc.done"})
	if err := n.Deliver(context.Background(), testEvent("v-ops")); err != nil {
		t.Errorf("Deliver: %v", err)
	}
}

func TestNewNATSValidatesOptions(t *testing.T) {
	t.Parallel()
	const url = "nats://127.0.0.1:1"
	for _, tc := range []struct {
		name  string
		opts  sink.NATSOptions
		field string
	}{
		{"no url", sink.NATSOptions{Subject: "a"}, "URL"},
		{"bad scheme", sink.NATSOptions{URL: "http://u:" + credentialMarker + "@x", Subject: "a"}, "URL"},
		{"bad url", sink.NATSOptions{URL: "nats://u:" + credentialMarker + "@%zz", Subject: "a"}, "URL"},
		{"no subject", sink.NATSOptions{URL: url}, "Subject"},
		{"wildcard subject", sink.NATSOptions{URL: url, Subject: "kyc.*"}, "Subject"},
		{"tail wildcard", sink.NATSOptions{URL: url, Subject: "kyc.>"}, "Subject"},
		{"empty token", sink.NATSOptions{URL: url, Subject: "kyc..done"}, "Subject"},
		{"space", sink.NATSOptions{URL: url, Subject: "kyc done"}, "Subject"},
		{"bad stream", sink.NATSOptions{URL: url, Subject: "a", Stream: "a.b"}, "Stream"},
		{"window without stream", sink.NATSOptions{URL: url, Subject: "a", DuplicateWindow: time.Minute}, "DuplicateWindow"},
		{"negative window", sink.NATSOptions{URL: url, Subject: "a", Stream: "S", DuplicateWindow: -time.Minute}, "DuplicateWindow"},
		{"negative timeout", sink.NATSOptions{URL: url, Subject: "a", Timeout: -time.Second}, "Timeout"},
		{"token and user", sink.NATSOptions{URL: url, Subject: "a", Token: credentialMarker, User: "u"}, "Token"},
		{"password alone", sink.NATSOptions{URL: url, Subject: "a", Password: credentialMarker}, "User"},
		{"format", sink.NATSOptions{URL: url, Subject: "a", Encoder: sink.Encoder{Format: "xml"}}, "Format"},
	} {
		_, err := sink.NewNATS(context.Background(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.field)
			continue
		}
		if strings.Contains(err.Error(), credentialMarker) {
			t.Errorf("%s: error shows a credential: %v", tc.name, err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: validation tried to connect", tc.name)
		}
	}
}
