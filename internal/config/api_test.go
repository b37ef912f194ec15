package config

import (
	"strings"
	"testing"
)

func TestAPIAndCallbackKeys(t *testing.T) {
	t.Parallel()
	c := mustParse(t, minimalYAML+`
api:
  addr: "127.0.0.1:9090"
  tokens: ["${TOKEN}", ""]
callbacks:
  advance: {token: "${CB_TOKEN}"}
`, map[string]string{"TOKEN": "token-0123456789abcdef", "CB_TOKEN": "callback-0123456789"})
	if len(c.API.Tokens) != 1 || !c.API.Enabled() || c.Callbacks.Advance.Token == "" {
		t.Errorf("api = %+v, callbacks = %+v", c.API, c.Callbacks)
	}
	dump := c.Dump()
	noSecrets(t, dump, "token-0123456789abcdef", "callback-0123456789")

	_, err := parseWith(minimalYAML+`
http: {addr: ":8080"}
api:
  addr: ":8080"
  tokens: ["short", "has space 0123456789"]
callbacks:
  advance: {token: "tiny"}
`, nil)
	wantErr(t, err, "api.addr: must differ from http.addr", "api.tokens[0]: must be at least 16 bytes",
		"api.tokens[1]: must not contain white space", "callbacks.advance.token: must be at least 16 bytes")
	if strings.Contains(err.Error(), "short") || strings.Contains(err.Error(), "tiny") {
		t.Errorf("error shows a token: %v", err)
	}
}

func TestRateLimitKeys(t *testing.T) {
	t.Parallel()
	c := mustParse(t, strings.Replace(minimalYAML, "    secret_key: ${SECRET_KEY}\n",
		"    secret_key: ${SECRET_KEY}\n    rate_limit: {rps: 2.5, burst: 5}\n", 1), nil)
	if rl := c.Providers.Advance.RateLimit; rl.RPS != 2.5 || rl.Burst != 5 || !rl.Enabled() {
		t.Errorf("rate_limit = %+v", rl)
	}
	_, err := parseWith(strings.Replace(minimalYAML, "    secret_key: ${SECRET_KEY}\n",
		"    secret_key: ${SECRET_KEY}\n    rate_limit: {rps: -1, burst: -2}\n", 1), nil)
	wantErr(t, err, "providers.advance.rate_limit.rps: must be 0", "providers.advance.rate_limit.burst: must be 0 to")
}
