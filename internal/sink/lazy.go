package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kycpoller/kycpoller/internal/event"
)

// Target is a connected sink.
type Target interface {
	Deliver(ctx context.Context, ev *event.Event) error
	Close() error
}

// Lazy connects a sink on first use and again after a failed connect, so
// that a broker that is down when the worker starts delays its own
// deliveries (retried on the sink's schedule) and nothing else: polling and
// the other sinks go on.
type Lazy struct {
	name string
	open func(ctx context.Context) (Target, error)

	mu     sync.Mutex
	target Target
	closed bool
}

// NewLazy returns a Lazy that connects with open; name appears in errors.
func NewLazy(name string, open func(ctx context.Context) (Target, error)) *Lazy {
	return &Lazy{name: name, open: open}
}

// Deliver connects if needed and delivers ev.
func (l *Lazy) Deliver(ctx context.Context, ev *event.Event) error {
	t, err := l.get(ctx)
	if err != nil {
		return err
	}
	return t.Deliver(ctx, ev)
}

func (l *Lazy) get(ctx context.Context) (Target, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, &RetryableError{Err: errors.New("sink " + l.name + " is closed")}
	}
	if l.target != nil {
		return l.target, nil
	}
	t, err := l.open(ctx)
	if err != nil {
		var re *RetryableError
		var pe *PermanentError
		if errors.As(err, &re) || errors.As(err, &pe) {
			return nil, err
		}
		return nil, &RetryableError{Err: fmt.Errorf("connect sink %s: %w", l.name, err)}
	}
	l.target = t
	return t, nil
}

// Close closes the connection, if one was made.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.target == nil {
		return nil
	}
	return l.target.Close()
}
