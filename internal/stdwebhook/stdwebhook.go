// Package stdwebhook signs webhook requests the way the Standard Webhooks
// specification (v1, symmetric scheme) defines: HMAC-SHA256 over
// "{webhook-id}.{webhook-timestamp}.{body}", sent as "v1,<base64>" in the
// webhook-signature header, one space-separated signature per secret so that
// secrets can be rotated.
package stdwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of the specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a Standard Webhooks secret.
const SecretPrefix = "whsec_"

// Secret length bounds of the specification, in bytes after decoding.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// ParseSecret decodes a "whsec_"-prefixed base64 secret (the prefix is
// optional, as in the official libraries) and checks its length. Errors never
// echo the secret.
func ParseSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("secret is empty")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil {
		return nil, errors.New(`secret is not "whsec_" followed by standard base64`)
	}
	if len(raw) < MinSecretBytes || len(raw) > MaxSecretBytes {
		return nil, fmt.Errorf("secret decodes to %d bytes, want %d to %d", len(raw), MinSecretBytes, MaxSecretBytes)
	}
	return raw, nil
}

// Signer signs with one or more decoded secrets.
type Signer struct {
	keys [][]byte
}

// NewSigner parses every secret; at least one is required.
func NewSigner(secrets ...string) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("no signing secret")
	}
	s := &Signer{}
	for i, sec := range secrets {
		key, err := ParseSecret(sec)
		if err != nil {
			return nil, fmt.Errorf("signing secret %d: %w", i+1, err)
		}
		s.keys = append(s.keys, key)
	}
	return s, nil
}

// Sign returns the webhook-signature header value for one attempt: one
// "v1,<base64>" per secret, separated by spaces.
func (s *Signer) Sign(id string, ts time.Time, body []byte) string {
	unix := strconv.FormatInt(ts.Unix(), 10)
	var b strings.Builder
	for i, key := range s.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(unix))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}
