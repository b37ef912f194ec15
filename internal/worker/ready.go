package worker

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// ReadyPingTimeout bounds the Redis PING behind one /readyz request, well
// under the usual probe timeout (1s in Kubernetes).
const ReadyPingTimeout = 800 * time.Millisecond

// Readiness states: a worker is ready only while its asynq server runs and
// it is not shutting down.
const (
	stateStarting int32 = iota
	stateRunning
	stateStopping
)

// readiness is what /readyz reports. Its zero value is "starting".
type readiness struct{ state atomic.Int32 }

func (r *readiness) running()  { r.state.CompareAndSwap(stateStarting, stateRunning) }
func (r *readiness) stopping() { r.state.Store(stateStopping) }

// serveReady answers 200 while the asynq server runs and Redis answers PING
// within ReadyPingTimeout, and 503 otherwise: before the server started, once
// shutdown began (before asynq stops fetching, so that a load balancer or
// Kubernetes stops counting on this worker first), and while Redis is
// unreachable. /healthz, by contrast, only says the process is alive.
func (w *Worker) serveReady(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	switch w.ready.state.Load() {
	case stateStarting:
		notReady(rw, "starting")
		return
	case stateStopping:
		notReady(rw, "shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ReadyPingTimeout)
	defer cancel()
	if err := w.rdb.Ping(ctx).Err(); err != nil {
		w.log.Debug("not ready: redis ping failed", zap.Error(err))
		notReady(rw, "redis unreachable")
		return
	}
	_, _ = rw.Write([]byte("ready\n"))
}

func notReady(rw http.ResponseWriter, why string) {
	rw.WriteHeader(http.StatusServiceUnavailable)
	_, _ = rw.Write([]byte("not ready: " + why + "\n"))
}
