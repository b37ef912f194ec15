package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/api"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// apiServer builds the enqueue API and the provider callbacks.
func (w *Worker) apiServer() *api.Server {
	tokens := make([]string, 0, len(w.cfg.API.Tokens))
	for _, t := range w.cfg.API.Tokens {
		tokens = append(tokens, string(t))
	}
	callbackToken := ""
	if w.cfg.Providers.Advance != nil {
		callbackToken = string(w.cfg.Callbacks.Advance.Token)
	}
	return api.New(api.Options{
		Enqueuer:             tasks.NewEnqueuer(w.rdb, w.cfg),
		Controller:           tasks.NewController(w.rdb, w.cfg),
		Tokens:               tokens,
		AdvanceCallbackToken: callbackToken,
		Metrics:              w.metrics,
		Log:                  w.log.Named("api"),
	})
}

// mountAPI serves the API and the callbacks on the worker's own listener
// (http.addr), unless api.addr gives them one of their own.
func (w *Worker) mountAPI(mux *http.ServeMux) {
	if w.cfg.API.Addr == "" {
		w.apiServer().Mount(mux)
	}
}

// newAPIHTTP returns the server of the API's own listener, or nil when
// api.addr is empty or the API has no route.
func (w *Worker) newAPIHTTP() *http.Server {
	if w.cfg.API.Addr == "" {
		return nil
	}
	s := w.apiServer()
	if s.Empty() {
		return nil
	}
	return newHTTPServer(s, w.log)
}

// startAPI starts the API's own listener when there is one. stop shuts it
// down; it is safe to call when nothing was started.
func (w *Worker) startAPI() (stop func(), err error) {
	srv := w.apiHTTP
	if srv == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", w.cfg.API.Addr)
	if err != nil {
		return nil, fmt.Errorf("api.addr: listen: %w", err)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.log.Error("api listener failed", zap.Error(err))
		}
	}()
	w.log.Info("api listening", zap.String("api_addr", ln.Addr().String()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
