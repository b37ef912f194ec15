package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// auth checks HTTP Basic credentials or a bearer token. Values are compared
// as SHA-256 digests with subtle.ConstantTimeCompare, so neither the
// content nor the length of a secret leaks through timing.
type auth struct {
	basic          bool
	user, password [sha256.Size]byte
	bearer         bool
	token          [sha256.Size]byte
}

// newAuth returns nil when no credential is configured.
func newAuth(username, password, token string) *auth {
	if username == "" && token == "" {
		return nil
	}
	a := &auth{}
	if username != "" {
		a.basic = true
		a.user, a.password = sha256.Sum256([]byte(username)), sha256.Sum256([]byte(password))
	}
	if token != "" {
		a.bearer = true
		a.token = sha256.Sum256([]byte(token))
	}
	return a
}

func equal(a [sha256.Size]byte, b string) bool {
	d := sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(a[:], d[:]) == 1
}

func (a *auth) allowed(r *http.Request) bool {
	if a.basic {
		if u, p, ok := r.BasicAuth(); ok {
			// Both compared, always: no early exit on a wrong user name.
			uok, pok := equal(a.user, u), equal(a.password, p)
			if uok && pok {
				return true
			}
		}
	}
	if a.bearer {
		h := r.Header.Get("Authorization")
		if len(h) > len("Bearer ") && strings.EqualFold(h[:len("Bearer ")], "Bearer ") {
			return equal(a.token, h[len("Bearer "):])
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
