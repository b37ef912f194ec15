package api

import (
	"net/http"

	"github.com/kycpoller/kycpoller/internal/httpauth"
)

// authorized requires "Authorization: Bearer TOKEN" with a configured token.
func (s *Server) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := httpauth.BearerToken(r)
		if !ok || !httpauth.Match(s.tokens, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kycpoller"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token", nil)
			return
		}
		next(w, r)
	}
}
