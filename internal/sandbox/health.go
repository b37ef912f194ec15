package sandbox

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// ErrExited is what WaitHealthy returns when the process exits first.
var ErrExited = errors.New("process exited before it was healthy")

// healthPoll is how often WaitHealthy asks.
const healthPoll = 50 * time.Millisecond

// WaitHealthy polls url (a worker's /healthz) until it answers 200 OK. It
// returns ErrExited once exited is closed, or ctx's error when ctx ends
// first.
func WaitHealthy(ctx context.Context, url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return ErrExited
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(healthPoll):
		}
	}
}
