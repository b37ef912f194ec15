package tasks

import (
	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/store"
)

// eventCipher returns the cipher of stored events for cfg, or nil when
// events are stored unencrypted. The keys were decoded and checked by
// config validation.
func eventCipher(cfg *config.Config) *store.Cipher {
	keys := cfg.Events.EncryptionKeys()
	if len(keys) == 0 {
		return nil
	}
	c, err := store.NewCipher(keys[0], keys[1:]...)
	if err != nil {
		// Validation checked every key's length: unreachable, and never
		// worth storing personal data in the clear for.
		panic("tasks: validated event keys make no cipher: " + err.Error())
	}
	return c
}
