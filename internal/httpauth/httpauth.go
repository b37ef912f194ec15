// Package httpauth checks the credentials of the worker's HTTP endpoints.
// Secrets are compared as SHA-256 digests in constant time, so neither
// their content nor their length leaks through timing.
package httpauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Digest is a secret's SHA-256 digest, what a presented value is compared
// with.
type Digest [sha256.Size]byte

// NewDigest returns secret's digest.
func NewDigest(secret string) Digest { return sha256.Sum256([]byte(secret)) }

// Equal reports, in constant time, whether presented is the secret behind d.
func (d Digest) Equal(presented string) bool {
	p := NewDigest(presented)
	return subtle.ConstantTimeCompare(d[:], p[:]) == 1
}

// Match reports whether presented is the secret behind one of ds. Every
// digest is compared, even after a match.
func Match(ds []Digest, presented string) bool {
	p := NewDigest(presented)
	ok := 0
	for _, d := range ds {
		ok |= subtle.ConstantTimeCompare(d[:], p[:])
	}
	return ok == 1
}

// BearerToken returns the token of an "Authorization: Bearer TOKEN" header
// (scheme in any case, surrounding space trimmed); ok is false without one.
func BearerToken(r *http.Request) (token string, ok bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
