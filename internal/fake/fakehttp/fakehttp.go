// Package fakehttp is the serving lifecycle the fake providers share: serve
// a handler on a listener or a free loopback port, report the base URL, and
// close at once, ending stalled answers too.
package fakehttp

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serving runs one handler. Embed it in a fake: its methods become the
// fake's Serve, Listen, URL and Close. It is safe for concurrent use.
type Serving struct {
	name    string
	handler http.Handler
	closing chan struct{}
	once    sync.Once

	mu  sync.Mutex
	url string
	srv *http.Server
}

// New returns a Serving for h; name prefixes its errors.
func New(name string, h http.Handler) *Serving {
	return &Serving{name: name, handler: h, closing: make(chan struct{})}
}

// Handler is the handler being served.
func (s *Serving) Handler() http.Handler { return s.handler }

// Closing is closed by Close: answers that stall on purpose wait on it.
func (s *Serving) Closing() <-chan struct{} { return s.closing }

// Serve answers on l until Close. It returns nil after Close.
func (s *Serving) Serve(l net.Listener) error {
	srv, err := s.prepare(l)
	if err != nil {
		_ = l.Close()
		return err
	}
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Listen starts serving on a free loopback port in the background and
// returns once the URL is known. Stop it with Close.
func (s *Serving) Listen() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv, err := s.prepare(l)
	if err != nil {
		_ = l.Close()
		return err
	}
	go func() { _ = srv.Serve(l) }()
	return nil
}

func (s *Serving) prepare(l net.Listener) (*http.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return nil, errors.New(s.name + ": server is closed")
	default:
	}
	if s.srv != nil {
		return nil, errors.New(s.name + ": already serving")
	}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + l.Addr().String()
	return s.srv, nil
}

// URL is the base URL once serving (Listen or Serve), else "".
func (s *Serving) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops serving at once, cutting off answers in flight; stalled
// answers end too.
func (s *Serving) Close() error {
	s.once.Do(func() { close(s.closing) })
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	// Not Shutdown: it waits up to 5 s for connections a client opened but
	// never used, and a fake has nothing worth finishing gracefully.
	return srv.Close()
}
