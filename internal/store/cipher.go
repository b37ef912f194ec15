package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeyBytes is the length of an event encryption key: AES-256.
const KeyBytes = 32

// keyIDLen is the length of a key id in a stored record: 8 hex digits.
const keyIDLen = 8

// ErrEncryptedEvent is returned for a stored event that is encrypted with a
// key this Store does not hold (or holds no key at all).
var ErrEncryptedEvent = errors.New("stored event is encrypted with a key that is not configured (events.encryption_key or events.decryption_keys)")

// Cipher encrypts stored events with AES-256-GCM. A sealed record is the
// id of the key (the first 8 hex digits of its SHA-256), the 12-byte
// nonce, then the ciphertext with its tag; the Redis key of the record is
// authenticated with it, so a record cannot be moved to another event.
// New records use the primary key; older keys, kept for rotation, only
// open records.
type Cipher struct {
	primary string
	aeads   map[string]cipher.AEAD
}

// NewCipher returns a Cipher that seals with key and opens records sealed
// with key or any of old. Every key must be KeyBytes long.
func NewCipher(key []byte, old ...[]byte) (*Cipher, error) {
	c := &Cipher{aeads: make(map[string]cipher.AEAD, 1+len(old))}
	for i, k := range append([][]byte{key}, old...) {
		if len(k) != KeyBytes {
			return nil, fmt.Errorf("event encryption key %d: %d bytes, want %d", i+1, len(k), KeyBytes)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("event encryption key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("event encryption key %d: %w", i+1, err)
		}
		id := KeyID(k)
		if _, dup := c.aeads[id]; dup && i > 0 {
			continue // an old key repeating the current one
		}
		c.aeads[id] = aead
		if i == 0 {
			c.primary = id
		}
	}
	return c, nil
}

// KeyID identifies a key in stored records without revealing it: the first
// 8 hex digits of its SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])[:keyIDLen]
}

// KeyID returns the id of the key that seals new records.
func (c *Cipher) KeyID() string { return c.primary }

// seal encrypts plain for the record stored under redisKey.
func (c *Cipher) seal(plain []byte, redisKey string) []byte {
	aead := c.aeads[c.primary]
	out := make([]byte, keyIDLen+aead.NonceSize(), keyIDLen+aead.NonceSize()+len(plain)+aead.Overhead())
	copy(out, c.primary)
	nonce := out[keyIDLen:]
	if _, err := rand.Read(nonce); err != nil {
		panic("store: no randomness for a nonce: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return aead.Seal(out, nonce, plain, []byte(redisKey))
}

// open decrypts a record sealed by seal and stored under redisKey.
func (c *Cipher) open(rec []byte, redisKey string) ([]byte, error) {
	if c == nil || len(rec) < keyIDLen {
		return nil, ErrEncryptedEvent
	}
	aead, ok := c.aeads[string(rec[:keyIDLen])]
	if !ok {
		return nil, ErrEncryptedEvent
	}
	rest := rec[keyIDLen:]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("stored event is truncated")
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], []byte(redisKey))
	if err != nil {
		// Never the key, never the record.
		return nil, errors.New("stored event does not decrypt: altered, or sealed for another record")
	}
	return plain, nil
}

// ParseKey decodes an event encryption key written as standard or URL-safe
// base64 (padded or not) or as hex, and checks that it is KeyBytes long.
// Surrounding white space (a trailing newline in a key file) is ignored.
// Errors never echo the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("key is empty")
	}
	if len(s) == 2*KeyBytes {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeyBytes {
				return nil, fmt.Errorf("key decodes to %d bytes, want %d (generate one with: head -c 32 /dev/urandom | base64)", len(k), KeyBytes)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("key is neither base64 nor hex of %d bytes (generate one with: head -c 32 /dev/urandom | base64)", KeyBytes)
}
