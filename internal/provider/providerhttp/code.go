package providerhttp

import "strings"

// MaxCodeLen bounds a provider code we are willing to repeat in errors and
// logs.
const MaxCodeLen = 64

// NormalizeCode returns code in upper case when it looks like a provider code
// (letters, digits, '_', '-', '.'), and "" otherwise, so that errors and logs
// never repeat arbitrary text from a response.
func NormalizeCode(code string) string {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > MaxCodeLen {
		return ""
	}
	for _, r := range code {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
		if !ok {
			return ""
		}
	}
	return strings.ToUpper(code)
}
