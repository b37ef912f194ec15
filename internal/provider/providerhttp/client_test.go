package providerhttp

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestNewClientReusesConnectionsAtHighConcurrency sends two waves of 300
// concurrent requests, as a worker with concurrency 300 does: the second
// wave must reuse the first wave's connections.
func TestNewClientReusesConnectionsAtHighConcurrency(t *testing.T) {
	const concurrent = 300
	var conns atomic.Int64
	var inFlight sync.WaitGroup
	var gate atomic.Pointer[chan struct{}]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		release := *gate.Load()
		inFlight.Done()
		<-release // hold every request until the whole wave is in flight
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	client := NewClient(10 * time.Second)

	for wave := 1; wave <= 2; wave++ {
		release := make(chan struct{})
		gate.Store(&release)
		inFlight.Add(concurrent)
		var done sync.WaitGroup
		for range concurrent {
			done.Add(1)
			go func() {
				defer done.Done()
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				_ = resp.Body.Close()
			}()
		}
		inFlight.Wait()
		close(release)
		done.Wait()
		if got := conns.Load(); got != concurrent {
			t.Fatalf("after wave %d: %d connections opened, want %d (one per concurrent request, reused)", wave, got, concurrent)
		}
	}
}
