package config

import (
	"errors"
	"fmt"
	"os"

	"github.com/kycpoller/kycpoller/internal/store"
)

// Encrypted reports whether stored events are to be encrypted: an
// encryption key is configured, inline or as a file.
func (e *Events) Encrypted() bool {
	return e.EncryptionKey != "" || e.EncryptionKeyFile != ""
}

// EncryptionKeys returns the decoded event keys once Validate has accepted
// them: the key that encrypts new events first, then every decryption key.
// It is nil when events are stored unencrypted (or, on the enqueue side,
// when the key is not available there).
func (e *Events) EncryptionKeys() [][]byte { return e.keys }

// validateEventKeys decodes the event keys into c.Events.keys. Errors name
// the key and never show it. On the enqueue side (credentials optional) an
// unreadable key file is not an error: enqueueing needs no key, and reading
// an encrypted event without it fails on its own.
func (c *Config) validateEventKeys(p *problems) {
	e := &c.Events
	e.keys = nil
	if len(e.DecryptionKeys) == 0 {
		e.DecryptionKeys = nil // "[]" in a file means none
	}
	var primary string
	switch {
	case e.EncryptionKey != "" && e.EncryptionKeyFile != "":
		p.addf("events.encryption_key", "give encryption_key or encryption_key_file, not both")
		return
	case e.EncryptionKey != "":
		primary = string(e.EncryptionKey)
	case e.EncryptionKeyFile != "":
		b, err := os.ReadFile(e.EncryptionKeyFile)
		if err != nil {
			if !c.credentialsOptional {
				p.addf("events.encryption_key_file", "cannot be read (%v)", pathError(err))
			}
			return
		}
		primary = string(b)
	}
	var keys [][]byte
	if primary != "" {
		k, err := store.ParseKey(primary)
		if err != nil {
			path := "events.encryption_key"
			if e.EncryptionKeyFile != "" {
				path = "events.encryption_key_file"
			}
			p.addf(path, "%v", err)
			return
		}
		keys = append(keys, k)
	}
	for i, s := range e.DecryptionKeys {
		// Empty entries are skipped, so that an optional old key can be
		// written as ${OLD_KEY:-}.
		if s == "" {
			continue
		}
		k, err := store.ParseKey(string(s))
		if err != nil {
			p.addf(fmt.Sprintf("events.decryption_keys[%d]", i), "%v", err)
			continue
		}
		if len(keys) == 0 {
			if !c.credentialsOptional {
				p.addf("events.decryption_keys", "need events.encryption_key (or encryption_key_file): new events are encrypted with it")
			}
			return
		}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		e.keys = keys
	}
}

// pathError drops the path from a file error: the configuration key names
// it already.
func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
