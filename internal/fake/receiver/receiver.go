// Package receiver is a webhook receiver for tests and the demo: a real HTTP
// server that verifies Standard Webhooks signatures with the official
// library (an implementation independent of ours), records what it accepted
// and can be scripted to fail.
//
// Each request is answered in this order:
//
//  1. not a POST: 405; body over MaxBodyBytes: 413; unreadable body: 400;
//  2. scripted failures, first match wins: SetDown (503), SetStatus,
//     FailNext, SetFailRate (500);
//  3. a missing or bad signature or a stale timestamp: 401, counted by
//     Rejected;
//  4. a body that is not JSON or not sent as application/json: 415 or 400;
//  5. otherwise 200, and the delivery is recorded.
//
// Every request counts in Requests, and every request carrying a webhook-id
// counts toward that id's Attempt numbers.
package receiver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kycpoller/kycpoller/internal/event"
)

// MaxBodyBytes is the largest request body read; larger ones get 413.
const MaxBodyBytes = 10 << 20

// RedirectPath is where the receiver points when SetStatus makes it answer a
// 3xx: a path on the receiver itself, so a client that followed the redirect
// would show up as an extra request.
const RedirectPath = "/moved"

// Delivery is one accepted request.
type Delivery struct {
	EventID    string // webhook-id
	Attempt    int    // 1 for the first request seen with this EventID, 2 for the next...
	Timestamp  time.Time
	ReceivedAt time.Time
	Header     http.Header
	Body       []byte
	Event      event.Event // decoded Body, ID filled from webhook-id
	Status     int         // the status answered
}

// Options configures a Receiver.
type Options struct {
	// Secret is the Standard Webhooks secret ("whsec_" + base64) signatures
	// are verified with.
	Secret string
	// OnDelivery, when set, is called for each accepted delivery before the
	// response is written; keep it quick.
	OnDelivery func(Delivery)
	// Seed seeds the random source of SetFailRate.
	Seed int64
}

// Receiver is an http.Handler; Start and Listen also run a server for it.
// All methods are safe to call while it serves.
type Receiver struct {
	verifier   *standardwebhooks.Webhook
	onDelivery func(Delivery)

	url       string
	closeOnce sync.Once
	closeFn   func() error
	closeErr  error

	mu             sync.Mutex
	rng            *rand.Rand
	down           bool
	status         int
	failNext       int
	failNextStatus int
	failNextAfter  string
	failRate       float64
	requests       int
	rejected       int
	failures       Failures
	attempts       map[string]int // requests seen per webhook-id
	accepted       []Delivery
	perEvent       map[string]int // accepted deliveries per webhook-id
	changed        chan struct{}  // closed and replaced on every acceptance
}

// New returns a Receiver that is not yet serving; use it as an http.Handler
// or call Start or Listen instead.
func New(opts Options) (*Receiver, error) {
	if opts.Secret == "" {
		return nil, errors.New("receiver: Secret is required")
	}
	v, err := standardwebhooks.NewWebhook(opts.Secret)
	if err != nil {
		return nil, errors.New("receiver: Secret: not valid base64")
	}
	return &Receiver{
		verifier:   v,
		onDelivery: opts.OnDelivery,
		rng:        rand.New(rand.NewPCG(uint64(opts.Seed), 0)),
		attempts:   make(map[string]int),
		perEvent:   make(map[string]int),
		changed:    make(chan struct{}),
	}, nil
}

// Start runs a Receiver on an httptest server that is closed when the test
// ends.
func Start(tb testing.TB, opts Options) *Receiver {
	tb.Helper()
	r, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(r)
	r.url = srv.URL
	r.closeFn = func() error { srv.Close(); return nil }
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// Listen runs a Receiver on addr (such as "127.0.0.1:0") until Close.
func Listen(addr string, opts Options) (*Receiver, error) {
	r, err := New(opts)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	r.url = "http://" + l.Addr().String()
	r.closeFn = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		if err != nil {
			_ = srv.Close() // drop what did not finish in time
		}
		<-done
		return err
	}
	return r, nil
}

// Close stops the server started by Start or Listen. It is safe to call more
// than once and does nothing for a Receiver made by New.
func (r *Receiver) Close() error {
	r.closeOnce.Do(func() {
		if r.closeFn != nil {
			r.closeErr = r.closeFn()
		}
	})
	return r.closeErr
}

// URL is the base URL of the server; every path is served. It is empty for
// a Receiver made by New.
func (r *Receiver) URL() string { return r.url }

// FailNext makes the next n requests answer status, with a Retry-After
// header when retryAfter is not empty.
func (r *Receiver) FailNext(n int, status int, retryAfter string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failNext, r.failNextStatus, r.failNextAfter = n, status, retryAfter
}

// SetDown makes every request answer 503 while down is true.
func (r *Receiver) SetDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

// SetFailRate makes each request answer 500 with probability p (0 to 1),
// drawn from the source seeded by Options.Seed.
func (r *Receiver) SetFailRate(p float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failRate = min(max(p, 0), 1)
}

// Seed restarts the random source of SetFailRate from seed, as
// Options.Seed does: for a Receiver made by someone else, such as the
// sandbox's.
func (r *Receiver) Seed(seed int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rng = rand.New(rand.NewPCG(uint64(seed), 0))
}

// SetStatus makes every request answer status until it is called with 0.
// A 3xx status comes with a Location of RedirectPath on this receiver.
func (r *Receiver) SetStatus(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

// Accepted returns the accepted deliveries in arrival order. Their Body and
// Header are shared; do not modify them.
func (r *Receiver) Accepted() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.accepted...)
}

// Requests counts every request, failed and rejected ones included.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Failures counts the requests answered with a scripted failure, by cause.
type Failures struct {
	Down     int // SetDown
	Status   int // SetStatus
	FailNext int // FailNext
	Random   int // SetFailRate
}

// Total is the number of scripted failures of every cause.
func (f Failures) Total() int { return f.Down + f.Status + f.FailNext + f.Random }

// Failures returns the scripted failures answered so far.
func (r *Receiver) Failures() Failures {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures
}

// Rejected counts requests answered 401: missing or bad signature, stale
// timestamp.
func (r *Receiver) Rejected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rejected
}

// EventIDs returns the number of accepted deliveries per event id; a value
// above 1 is a duplicate delivery.
func (r *Receiver) EventIDs() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]int, len(r.perEvent))
	for id, n := range r.perEvent {
		m[id] = n
	}
	return m
}

// ByVerification groups accepted deliveries by provider+"/"+verification_id,
// each group in arrival order.
func (r *Receiver) ByVerification() map[string][]Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string][]Delivery)
	for _, d := range r.accepted {
		k := d.Event.Data.Provider + "/" + d.Event.Data.VerificationID
		m[k] = append(m[k], d)
	}
	return m
}

// WaitAccepted blocks until deliveries of at least n distinct event ids were
// accepted, or ctx ends.
func (r *Receiver) WaitAccepted(ctx context.Context, n int) error {
	for {
		r.mu.Lock()
		got, changed := len(r.perEvent), r.changed
		r.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-changed:
		}
	}
}

// ServeHTTP answers one webhook request; see the package documentation for
// the order of checks.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	received := time.Now()
	id := req.Header.Get(standardwebhooks.HeaderWebhookID)
	r.mu.Lock()
	r.requests++
	attempt := 0
	if id != "" {
		r.attempts[id]++
		attempt = r.attempts[id]
	}
	r.mu.Unlock()

	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := readBody(w, req)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if r.scriptedFailure(w) {
		return
	}
	if err := r.verifier.Verify(body, req.Header); err != nil {
		r.mu.Lock()
		r.rejected++
		r.mu.Unlock()
		http.Error(w, "signature verification failed", http.StatusUnauthorized)
		return
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "want application/json", http.StatusUnsupportedMediaType)
		return
	}
	var ev event.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "body is not an event", http.StatusBadRequest)
		return
	}
	ev.ID = id
	ts, _ := strconv.ParseInt(req.Header.Get(standardwebhooks.HeaderWebhookTimestamp), 10, 64) // checked by Verify

	d := Delivery{
		EventID:    id,
		Attempt:    attempt,
		Timestamp:  time.Unix(ts, 0),
		ReceivedAt: received,
		Header:     req.Header.Clone(),
		Body:       body,
		Event:      ev,
		Status:     http.StatusOK,
	}
	r.mu.Lock()
	r.accepted = append(r.accepted, d)
	r.perEvent[id]++
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()

	if r.onDelivery != nil {
		r.onDelivery(d)
	}
	w.WriteHeader(d.Status)
}

// scriptedFailure answers the request when a scripted failure applies and
// reports whether it did.
func (r *Receiver) scriptedFailure(w http.ResponseWriter) bool {
	r.mu.Lock()
	status, retryAfter := 0, ""
	switch {
	case r.down:
		status = http.StatusServiceUnavailable
		r.failures.Down++
	case r.status != 0:
		status = r.status
		r.failures.Status++
	case r.failNext > 0:
		r.failNext--
		status, retryAfter = r.failNextStatus, r.failNextAfter
		r.failures.FailNext++
	case r.failRate > 0 && r.rng.Float64() < r.failRate:
		status = http.StatusInternalServerError
		r.failures.Random++
	}
	r.mu.Unlock()
	if status == 0 {
		return false
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	if status >= 300 && status < 400 {
		w.Header().Set("Location", RedirectPath)
	}
	http.Error(w, "scripted failure", status)
	return true
}

func readBody(w http.ResponseWriter, req *http.Request) ([]byte, error) {
	defer req.Body.Close()
	return io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBodyBytes))
}
