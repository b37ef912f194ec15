package advance

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Limits of the hostile-answer tests: a small cap and timeout, so that a
// client that ignored either would be caught.
const (
	hostileMaxBytes = 4 << 20
	hostileTimeout  = 2 * time.Second
	// hostileMargin is how much longer than the timeout a call may take:
	// generous, this is not a timing test.
	hostileMargin = 10 * time.Second
)

// hostileBodies are answers that try to break the client by size or shape.
// Each handler stops when the client goes away.
var hostileBodies = map[string]http.HandlerFunc{
	// 50 MB of valid-looking JSON, with its length announced.
	"50MB with length": func(w http.ResponseWriter, r *http.Request) {
		const size = 50 << 20
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		writeBig(w, size)
	},
	// The same without a length (chunked).
	"50MB chunked": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		writeBig(w, 50<<20)
	},
	// An answer that never ends.
	"endless": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		writeBig(w, -1)
	},
	// One byte every 100 ms: never too large, never complete in time.
	"slow drip": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		body := `{"code":"SUCCESS","data":{"overallResult":"PASS","name":"TEST PERSON ALPHA"}}`
		for i := 0; ; i++ {
			if _, err := w.Write([]byte{body[i%len(body)]}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	},
	// 100,000 nested arrays inside the data object, well under the size
	// cap: encoding/json stops at depth 10,000.
	"deep nesting": func(w http.ResponseWriter, r *http.Request) {
		const depth = 100_000
		w.Header().Set("Content-Type", "application/json")
		var b bytes.Buffer
		b.WriteString(`{"code":"SUCCESS","data":{"overallResult":"PASS","x":`)
		b.WriteString(strings.Repeat("[", depth))
		b.WriteString(strings.Repeat("]", depth))
		b.WriteString(`}}`)
		_, _ = w.Write(b.Bytes())
	},
	// Deep objects rather than arrays.
	"deep objects": func(w http.ResponseWriter, r *http.Request) {
		const depth = 100_000
		w.Header().Set("Content-Type", "application/json")
		var b bytes.Buffer
		b.WriteString(`{"code":"SUCCESS","data":`)
		b.WriteString(strings.Repeat(`{"a":`, depth))
		b.WriteString(`1`)
		b.WriteString(strings.Repeat("}", depth))
		b.WriteString(`}`)
		_, _ = w.Write(b.Bytes())
	},
}

// hostileCodes is the error code each hostile answer must produce.
var hostileCodes = map[string]string{
	"50MB with length": "response_too_large",
	"50MB chunked":     "response_too_large",
	"endless":          "response_too_large",
	"slow drip":        "timeout",
	"deep nesting":     "invalid_json",
	"deep objects":     "invalid_json",
}

// writeBig writes size bytes of a JSON object that never closes (size < 0:
// forever), from one reused chunk so the server allocates next to nothing.
func writeBig(w http.ResponseWriter, size int) {
	w.WriteHeader(http.StatusOK)
	head := []byte(`{"code":"SUCCESS","data":{"overallResult":"PASS","image":"`)
	chunk := bytes.Repeat([]byte("QUJD"), 16<<10)
	if _, err := w.Write(head); err != nil {
		return
	}
	for n := len(head); size < 0 || n < size; n += len(chunk) {
		c := chunk
		if size >= 0 && size-n < len(c) {
			c = c[:size-n]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
	}
}

// Hostile answers are transient errors, end within the client's timeout and
// never make the client hold much more than its response cap.
func TestHostileAnswers(t *testing.T) {
	// Not parallel: the allocation figures are process-wide.
	for name, h := range hostileBodies {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t).withRaw(h)
			c := e.client(func(o *Options) {
				o.Timeout = hostileTimeout
				o.MaxResponseBytes = hostileMaxBytes
			})
			// Fetch the token first, so only the hostile call is measured.
			ctx := context.Background()
			if _, err := c.token(ctx); err != nil {
				t.Fatal(err)
			}

			var res struct {
				code string
				err  error
			}
			m := measure(func() {
				_, err := c.Check(ctx, ref("hostile-1"))
				res.err = err
				if te, ok := asTransient(err); ok {
					res.code = te.Code
				}
			})
			e.checkErr(res.err)
			transient(t, res.err)
			if want := hostileCodes[name]; res.code != want {
				t.Errorf("error code %q, want %q (%v)", res.code, want, res.err)
			}
			t.Logf("code %s, %v, allocated %d MiB, peak heap growth %d MiB",
				res.code, m.elapsed.Round(time.Millisecond), m.totalAlloc>>20, m.peakHeap>>20)
			if m.elapsed > hostileTimeout+hostileMargin {
				t.Errorf("call took %v, want within the timeout %v (+%v)", m.elapsed, hostileTimeout, hostileMargin)
			}
			if limit := uint64(3 * hostileMaxBytes); m.totalAlloc > limit {
				t.Errorf("call allocated %d bytes, want < %d (3x the response cap)", m.totalAlloc, limit)
			}
			if limit := uint64(3 * hostileMaxBytes); m.peakHeap > limit {
				t.Errorf("heap grew by %d bytes during the call, want < %d", m.peakHeap, limit)
			}
		})
	}
}

// measured is what measure saw of one call.
type measured struct {
	elapsed    time.Duration
	totalAlloc uint64 // bytes allocated during the call, by the whole process
	peakHeap   uint64 // largest growth of the live heap seen while it ran
}

// measure runs call and reports its duration and the process's allocations
// while it ran, sampling the heap every few milliseconds.
func measure(call func()) measured {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var peak uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > before.HeapAlloc && ms.HeapAlloc-before.HeapAlloc > peak {
				peak = ms.HeapAlloc - before.HeapAlloc
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	call()
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return measured{elapsed: elapsed, totalAlloc: after.TotalAlloc - before.TotalAlloc, peakHeap: peak}
}
