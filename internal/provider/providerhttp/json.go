package providerhttp

import (
	"bytes"
	"encoding/json"
)

// IsNull reports whether v is absent or JSON null.
func IsNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// IsObject reports whether v is a JSON object (v is assumed valid JSON).
func IsObject(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] == '{'
}
