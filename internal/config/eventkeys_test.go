package config

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func eventKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestEventEncryptionKeys(t *testing.T) {
	t.Parallel()
	keyB64 := base64.StdEncoding.EncodeToString(eventKey('e'))
	oldHex := hex.EncodeToString(eventKey('o'))
	file := filepath.Join(t.TempDir(), "events.key")
	if err := os.WriteFile(file, []byte(hex.EncodeToString(eventKey('f'))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"EVENTS_KEY": keyB64, "OLD_KEY": oldHex}

	c := mustParse(t, "events:\n  encryption_key: ${EVENTS_KEY}\n  decryption_keys: [\"${OLD_KEY}\", \"${UNSET_OLD:-}\"]\n"+minimalYAML, env)
	keys := c.Events.EncryptionKeys()
	if len(keys) != 2 || !bytes.Equal(keys[0], eventKey('e')) || !bytes.Equal(keys[1], eventKey('o')) {
		t.Errorf("keys = %x, want the encryption key then the old one", keys)
	}
	noSecrets(t, c.Dump(), keyB64, oldHex)

	c = mustParse(t, "events: {encryption_key_file: "+file+"}\n"+minimalYAML, nil)
	if keys := c.Events.EncryptionKeys(); len(keys) != 1 || !bytes.Equal(keys[0], eventKey('f')) {
		t.Errorf("key from file = %x", keys)
	}

	c = mustParse(t, "events: {encryption_key: \"\", encryption_key_file: \"\", decryption_keys: []}\n"+minimalYAML, nil)
	if c.Events.EncryptionKeys() != nil || c.Events.Encrypted() || c.Events.DecryptionKeys != nil {
		t.Errorf("no key configured, got %+v", c.Events)
	}

	bad := "not a key, sensitive material!"
	for name, tc := range map[string]struct {
		yaml string
		want string
	}{
		"both":         {"events: {encryption_key: \"${EVENTS_KEY}\", encryption_key_file: " + file + "}\n", "events.encryption_key: give encryption_key or encryption_key_file, not both"},
		"bad key":      {"events: {encryption_key: \"" + bad + "\"}\n", "events.encryption_key: key is neither base64 nor hex"},
		"short key":    {"events: {encryption_key: " + base64.StdEncoding.EncodeToString(eventKey('s')[:16]) + "}\n", "events.encryption_key: key decodes to 16 bytes, want 32"},
		"missing file": {"events: {encryption_key_file: /nonexistent/events.key}\n", "events.encryption_key_file: cannot be read"},
		"old alone":    {"events: {decryption_keys: [\"${OLD_KEY}\"]}\n", "events.decryption_keys: need events.encryption_key"},
		"bad old key":  {"events: {encryption_key: \"${EVENTS_KEY}\", decryption_keys: [\"" + bad + "\"]}\n", "events.decryption_keys[0]: key"},
	} {
		_, err := parseWith(tc.yaml+minimalYAML, env)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want %q", name, err, tc.want)
		}
		noSecrets(t, err.Error(), bad, keyB64, oldHex)
	}

	// The enqueue side needs no key: an unreadable file is not an error
	// there.
	c, err := parse([]byte("events: {encryption_key_file: /nonexistent/events.key}\n"+minimalYAML), lookupIn(testEnv()), true)
	if err != nil {
		t.Fatalf("enqueue side: %v", err)
	}
	if c.Events.EncryptionKeys() != nil {
		t.Errorf("enqueue side without the file: keys %x", c.Events.EncryptionKeys())
	}
}
