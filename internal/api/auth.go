package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// digest hashes a token, so that comparisons take the same time whatever
// the lengths of the tokens compared.
func digest(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// matches reports, in constant time per configured token, whether presented
// is one of tokens. Every token is compared, even after a match.
func matches(tokens [][32]byte, presented string) bool {
	d := digest(presented)
	ok := 0
	for _, t := range tokens {
		ok |= subtle.ConstantTimeCompare(t[:], d[:])
	}
	return ok == 1
}

// authorized requires "Authorization: Bearer TOKEN" with a configured token.
func (s *Server) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || token == "" || !matches(s.tokens, strings.TrimSpace(token)) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kycpoller"`)
			writeError(w, http.StatusUnauthorized, "missing or invalid bearer token", nil)
			return
		}
		next(w, r)
	}
}
