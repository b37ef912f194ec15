package worker

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/dashboard"
)

// mountDashboard serves the asynq dashboard at /monitoring/ when
// http.dashboard.enabled, on the worker's own Redis client.
func (w *Worker) mountDashboard(mux *http.ServeMux) {
	d := w.cfg.HTTP.Dashboard
	if !d.IsEnabled() {
		return
	}
	h, err := dashboard.New(dashboard.Options{
		Redis:       w.rdb,
		RootPath:    dashboard.DefaultRootPath,
		ReadOnly:    d.IsReadOnly(),
		Username:    d.BasicAuth.Username,
		Password:    string(d.BasicAuth.Password),
		BearerToken: string(d.BearerToken),
	})
	if err != nil {
		w.log.Error("dashboard not served", zap.Error(err))
		return
	}
	mux.Handle(dashboard.DefaultRootPath+"/", h)
	if !d.HasAuth() {
		w.log.Warn("dashboard served without authentication (read-only); set http.dashboard.basic_auth or bearer_token",
			zap.String("path", dashboard.DefaultRootPath+"/"))
	}
}
