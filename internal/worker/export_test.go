package worker

import "net/http"

// HTTPServers returns the worker's HTTP servers: http.addr's, then
// api.addr's when the API has its own listener.
func (w *Worker) HTTPServers() []*http.Server {
	if w.apiHTTP == nil {
		return []*http.Server{w.http}
	}
	return []*http.Server{w.http, w.apiHTTP}
}
