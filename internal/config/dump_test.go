package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDump(t *testing.T) {
	t.Parallel()
	c := mustParse(t, minimalYAML+`
    secrets: ["${OLD}", ""]
    retry_schedule: [5s, 2h]
redis:
  username: kyc
  password: ${REDIS_PASSWORD}
`, map[string]string{"OLD": testSecret('o'), "REDIS_PASSWORD": "sensitive-redis"})
	out := c.Dump()

	if strings.Contains(out, "\n") {
		t.Errorf("Dump is not one line: %s", out)
	}
	if !strings.HasPrefix(out, `{"redis":{"addr":"127.0.0.1:6379","username":"kyc","password":"[REDACTED]"`) {
		t.Errorf("Dump does not follow the file's key order: %s", out)
	}
	noSecrets(t, out, testSecret('o'), "sensitive-redis")

	var got struct {
		Providers struct {
			Advance map[string]any `json:"advance"`
		} `json:"providers"`
		Polling map[string]any  `json:"polling"`
		Sinks   map[string]any  `json:"sinks"`
		Worker  json.RawMessage `json:"worker"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("Dump is not JSON: %v\n%s", err, out)
	}
	sink := got.Sinks["main"].(map[string]any)
	checks := []struct {
		name      string
		got, want any
	}{
		{"access_key", got.Providers.Advance["access_key"], "[REDACTED]"},
		{"timeout", got.Providers.Advance["timeout"], "30s"},
		{"max_response_bytes", got.Providers.Advance["max_response_bytes"], float64(DefaultMaxResponseBytes)},
		{"initial_interval", got.Polling["initial_interval"], "5s"},
		{"first_delay", got.Polling["first_delay"], "0s"},
		{"jitter", got.Polling["jitter"], DefaultJitter},
		{"secret", sink["secret"], "[REDACTED]"},
		{"secrets", sink["secrets"], []any{"[REDACTED]", ""}},
		{"retry_schedule", sink["retry_schedule"], []any{"5s", "2h0m0s"}},
	}
	for _, ch := range checks {
		if !jsonEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestDumpWithoutProvider(t *testing.T) {
	t.Parallel()
	var c Config
	out := c.Dump()
	if !json.Valid([]byte(out)) {
		t.Fatalf("not JSON: %s", out)
	}
	if !strings.Contains(out, `"providers":{"advance":null,"zoloz":null}`) || !strings.Contains(out, `"sinks":null`) {
		t.Errorf("Dump of an empty Config = %s", out)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestDumpRedactsURLCredentialsAndQueries(t *testing.T) {
	t.Parallel()
	c := &Config{Sinks: map[string]Sink{"s": {URL: "https://user:pa55@hooks.example.com/kyc?token=SUPERSECRET#frag"}}}
	out := c.Dump()
	for _, leak := range []string{"pa55", "SUPERSECRET", "user:", "frag"} {
		if strings.Contains(out, leak) {
			t.Errorf("dump contains %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "hooks.example.com/kyc") {
		t.Errorf("dump lost the host and path: %s", out)
	}
}
