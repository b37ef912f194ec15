package config

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// maxFuzzConfigBytes bounds a fuzzed file: a real one is a few KiB.
const maxFuzzConfigBytes = 64 << 10

// fuzzEnv is the environment of FuzzParse: every variable the examples
// reference, secrets recognisable so that a leak is found.
func fuzzEnv() map[string]string {
	env := testEnv()
	for k, v := range map[string]string{
		"ADVANCE_ACCESS_KEY":          "AK-sensitive-fuzz-access",
		"ADVANCE_SECRET_KEY":          "SK-sensitive-fuzz-secret",
		"WEBHOOK_SECRET":              testSecret('w'),
		"WEBHOOK_SECRET_PREVIOUS":     testSecret('p'),
		"REDIS_PASSWORD":              "redis-sensitive-password",
		"NATS_PASSWORD":               "nats-sensitive-password",
		"NATS_TOKEN":                  "nats-sensitive-token",
		"AMQP_PASSWORD":               "amqp-sensitive-password",
		"ADVANCE_CALLBACK_TOKEN":      "callback-sensitive-token",
		"DASHBOARD_PASSWORD":          "dashboard-sensitive-password",
		"DASHBOARD_TOKEN":             "dashboard-sensitive-token",
		"KYCPOLLER_API_TOKEN":         "api-sensitive-token",
		"EVENTS_REDIS_PASSWORD":       "events-redis-sensitive-password",
		"REDIS_SENTINEL_PASSWORD":     "sentinel-sensitive-password",
		"ZOLOZ_MERCHANT_PRIVATE_KEY":  "zoloz-sensitive-private-key",
		"EVENTS_ENCRYPTION_KEY":       "events-sensitive-key-material",
		"EVENTS_DECRYPTION_KEY_OLD":   "events-sensitive-old-key",
		"ZOLOZ_CLIENT_ID":             "2188000123456789",
		"REDIS_ADDR":                  "127.0.0.1:6379",
		"KYCPOLLER_FUZZ_NOT_A_SECRET": "plain",
	} {
		env[k] = v
	}
	return env
}

// fuzzSecrets are the secret values of fuzzEnv.
func fuzzSecrets(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if k != "REDIS_ADDR" && k != "ZOLOZ_CLIENT_ID" && k != "KYCPOLLER_FUZZ_NOT_A_SECRET" {
			out = append(out, v)
		}
	}
	return out
}

// FuzzParse feeds arbitrary files to the configuration loader, with the
// environment injected. It must never panic; a secret taken from the
// environment must appear neither in an error nor in the dump of an accepted
// configuration (unless the file itself spells it out); an accepted
// configuration must validate again unchanged.
func FuzzParse(f *testing.F) {
	for _, p := range []string{examplePath, sinksExamplePath, zolozExamplePath} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		minimalYAML,
		"redis: {addr: ${REDIS_ADDR}, password: ${REDIS_PASSWORD}}\n" + minimalYAML,
		"log: {level: ${ADVANCE_SECRET_KEY}}\n" + minimalYAML,
		"polling: {max_age: ${ADVANCE_ACCESS_KEY}}\n" + minimalYAML,
		"worker: {concurrency: ${NATS_TOKEN}}\n" + minimalYAML,
		"events: {retention: 1h, encryption_key: ${EVENTS_ENCRYPTION_KEY}}\n" + minimalYAML,
		"a: &a {b: *a}\n",
		"x: &x [*x, *x]\n",
		"sinks: {a: {type: fanout, targets: [a]}}\n",
		"providers: {advance: {access_key: ${MISSING}, secret_key: ${SECRET_KEY:-x}}}\n",
		"<<: {redis: {db: -1}}\n",
		"---\n---\n",
		"\t",
	} {
		f.Add([]byte(s))
	}
	env := fuzzEnv()
	secrets := fuzzSecrets(env)
	lookup := lookupIn(env)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzConfigBytes {
			return
		}
		c, err := parse(data, lookup, false)
		var shown string
		if err != nil {
			shown = err.Error()
		} else {
			shown = c.Dump()
			if err := c.Validate(); err != nil {
				t.Fatalf("an accepted configuration fails validation again: %v", err)
			}
		}
		for _, s := range secrets {
			if !bytes.Contains(data, []byte(s)) && strings.Contains(shown, s) {
				t.Fatalf("output shows the secret %q from the environment:\n%s", s, shown)
			}
		}
	})
}
