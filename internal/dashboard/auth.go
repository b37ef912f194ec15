package dashboard

import (
	"net/http"

	"github.com/kycpoller/kycpoller/internal/httpauth"
)

// auth checks HTTP Basic credentials or a bearer token, compared in
// constant time (httpauth).
type auth struct {
	basic          bool
	user, password httpauth.Digest
	bearer         bool
	token          httpauth.Digest
}

// newAuth returns nil when no credential is configured.
func newAuth(username, password, token string) *auth {
	if username == "" && token == "" {
		return nil
	}
	a := &auth{}
	if username != "" {
		a.basic = true
		a.user, a.password = httpauth.NewDigest(username), httpauth.NewDigest(password)
	}
	if token != "" {
		a.bearer = true
		a.token = httpauth.NewDigest(token)
	}
	return a
}

func (a *auth) allowed(r *http.Request) bool {
	if a.basic {
		if u, p, ok := r.BasicAuth(); ok {
			// Both compared, always: no early exit on a wrong user name.
			uok, pok := a.user.Equal(u), a.password.Equal(p)
			if uok && pok {
				return true
			}
		}
	}
	if a.bearer {
		if t, ok := httpauth.BearerToken(r); ok {
			return a.token.Equal(t)
		}
	}
	return false
}

func (a *auth) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.allowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		if a.basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="kycpoller dashboard", charset="UTF-8"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kycpoller dashboard"`)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
}
