package zolozfake

import "testing"

// Start returns a Server listening on a free loopback port, closed when the
// test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	if err := s.Listen(); err != nil {
		tb.Fatalf("zolozfake: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
