package fanout

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestEachRunsEveryItem(t *testing.T) {
	var sum atomic.Int64
	items := make([]int, 1000)
	for i := range items {
		items[i] = i
	}
	if err := Each(context.Background(), items, 8, func(_ context.Context, i int) error {
		sum.Add(int64(i))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if sum.Load() != 999*1000/2 {
		t.Errorf("sum %d", sum.Load())
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int64
	err := Each(context.Background(), make([]int, 10_000), 4, func(context.Context, int) error {
		ran.Add(1)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if ran.Load() == 10_000 {
		t.Error("every item ran after an error")
	}
}
