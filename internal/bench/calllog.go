package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
)

// CallLog wraps the fake provider and records its Get Result answers: how
// many, the first and last, and (when tracking) when each id was answered.
type CallLog struct {
	next  http.Handler
	track bool
	n     atomic.Int64
	conns atomic.Int64

	mu       sync.Mutex
	first    time.Time
	last     time.Time
	answered map[string]time.Time
}

func newCallLog(next http.Handler, track bool) *CallLog {
	return &CallLog{next: next, track: track, answered: map[string]time.Time{}}
}

// ServeHTTP implements http.Handler.
func (c *CallLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != advancefake.GetResultPath {
		c.next.ServeHTTP(w, r)
		return
	}
	var id string
	if c.track {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var req struct {
			SignatureID string `json:"signatureId"`
		}
		_ = json.Unmarshal(body, &req)
		id = req.SignatureID
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	c.next.ServeHTTP(w, r)
	now := time.Now()
	c.n.Add(1)
	c.mu.Lock()
	if c.first.IsZero() {
		c.first = now
	}
	c.last = now
	if id != "" {
		c.answered[id] = now
	}
	c.mu.Unlock()
}

// connState counts the connections the worker opens to the fake.
func (c *CallLog) connState(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.conns.Add(1)
	}
}

// Count is the number of Get Result answers so far.
func (c *CallLog) Count() int64 { return c.n.Load() }

// Conns is the number of connections opened to the fake so far.
func (c *CallLog) Conns() int64 { return c.conns.Load() }

// Span returns the times of the first and last answer.
func (c *CallLog) Span() (first, last time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.first, c.last
}

// Answered returns when id was last answered.
func (c *CallLog) Answered(id string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.answered[id]
	return t, ok
}

// reset forgets the span (counts keep running).
func (c *CallLog) reset() {
	c.mu.Lock()
	c.first, c.last = time.Time{}, time.Time{}
	c.mu.Unlock()
}
