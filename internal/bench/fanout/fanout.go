// Package fanout runs one function over many items from a fixed number of
// goroutines: how the benchmarks enqueue tens of thousands of tasks quickly.
package fanout

import (
	"context"
	"sync"
)

// Each runs fn for each item from workers goroutines and returns the first
// error (or ctx's); after an error no further item is started.
func Each[T any](ctx context.Context, items []T, workers int, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan T)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				if err := fn(ctx, it); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case next <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
