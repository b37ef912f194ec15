package config

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/stdwebhook"
	"gopkg.in/yaml.v3"
)

const examplePath = "../../config/kycpoller.example.yaml"
const (
	sinksExamplePath = "../../config/sinks.example.yaml"
	zolozExamplePath = "../../config/zoloz.example.yaml"
)

// testSecret returns a valid Standard Webhooks secret made of 32 bytes b.
func testSecret(b byte) string {
	return stdwebhook.SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
}

// minimalYAML is the smallest valid file, its secrets taken from testEnv.
const minimalYAML = `
providers:
  advance:
    access_key: ${ACCESS_KEY}
    secret_key: ${SECRET_KEY}
sinks:
  main:
    type: webhook
    url: https://hooks.example.com/kyc
    secret: ${WEBHOOK_SECRET}
`

// Values of testEnv that must never be printed.
const (
	testAccessKey = "AK-sensitive-access"
	testSecretKey = "SK-sensitive-secret"
)

func testEnv() map[string]string {
	return map[string]string{
		"ACCESS_KEY":     testAccessKey,
		"SECRET_KEY":     testSecretKey,
		"WEBHOOK_SECRET": testSecret('k'),
	}
}

func lookupIn(env map[string]string) lookupFunc {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// parseWith parses yaml text with minimalYAML's environment plus extra.
func parseWith(text string, extra map[string]string) (*Config, error) {
	env := testEnv()
	for k, v := range extra {
		env[k] = v
	}
	return parse([]byte(text), lookupIn(env), false)
}

func mustParse(t *testing.T, text string, extra map[string]string) *Config {
	t.Helper()
	c, err := parseWith(text, extra)
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return c
}

// wantErr fails unless err contains every one of want.
func wantErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not contain %q:\n%v", w, err)
		}
	}
}

// noSecrets fails if s shows any secret of testEnv or any of extra.
func noSecrets(t *testing.T, s string, extra ...string) {
	t.Helper()
	for _, secret := range append([]string{testAccessKey, testSecretKey, testSecret('k'), "sensitive"}, extra...) {
		if strings.Contains(s, secret) {
			t.Errorf("output shows the secret %q:\n%s", secret, s)
		}
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kycpoller.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadMinimalFileFillsDefaults(t *testing.T) {
	t.Parallel()
	path := writeFile(t, `
providers:
  advance:
    access_key: ak
    secret_key: sk
sinks:
  main:
    type: webhook
    url: https://hooks.example.com/kyc
    secret: `+testSecret('m')+`
`)
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := string(c.Providers.Advance.AccessKey); got != "ak" {
		t.Errorf("access_key = %q, want ak", got)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"redis.addr", c.Redis.Addr, DefaultRedisAddr},
		{"base_url", c.Providers.Advance.BaseURL, DefaultAdvanceBaseURL},
		{"return_image_type", c.Providers.Advance.ReturnImageType, DefaultReturnImageType},
		{"jitter", c.Polling.Jitter, DefaultJitter},
		{"first_delay", c.Polling.FirstDelay, time.Duration(0)},
		{"default_sink", c.DefaultSink, "main"},
		{"sink timeout", c.Sinks["main"].Timeout, DefaultSinkTimeout},
		{"retry_schedule", c.Sinks["main"].RetrySchedule, DefaultRetrySchedule},
		{"poll queue", c.Worker.Queues.Poll.Name, DefaultPollQueue},
		{"events.retention", c.Events.Retention, DefaultEventRetention},
		{"log.format", c.Log.Format, DefaultLogFormat},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

// TestLoadExample loads the documented example with only its required
// variables set, and checks that every value it shows is the default it
// claims.
func TestLoadExample(t *testing.T) {
	t.Setenv("ADVANCE_ACCESS_KEY", testAccessKey)
	t.Setenv("ADVANCE_SECRET_KEY", testSecretKey)
	t.Setenv("WEBHOOK_SECRET", testSecret('k'))
	// Optional references of the example, cleared in case the environment
	// running the test has them.
	t.Setenv("REDIS_ADDR", "")
	t.Setenv("REDIS_PASSWORD", "")
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_SENTINEL_PASSWORD", "")
	t.Setenv("WEBHOOK_SECRET_PREVIOUS", "")

	got, err := Load(examplePath)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", examplePath, err)
	}
	want := mustParse(t, `
providers:
  advance:
    access_key: ${ACCESS_KEY}
    secret_key: ${SECRET_KEY}
sinks:
  default:
    type: webhook
    url: https://onboarding.example.com/hooks/kyc
    secret: ${WEBHOOK_SECRET}
    secrets: [""]
`, nil)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the example's values are not the defaults:\n got %s\nwant %s", got.Dump(), want.Dump())
	}
	noSecrets(t, got.Dump())
}

// TestLoadSinksExample loads the example of every sink type.
func TestLoadSinksExample(t *testing.T) {
	t.Setenv("ADVANCE_ACCESS_KEY", testAccessKey)
	t.Setenv("ADVANCE_SECRET_KEY", testSecretKey)
	t.Setenv("WEBHOOK_SECRET", testSecret('k'))
	c, err := Load(sinksExamplePath)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", sinksExamplePath, err)
	}
	if got := c.Targets(c.DefaultSink); len(got) != 4 {
		t.Errorf("default sink targets = %v, want the 4 sinks of the fanout", got)
	}
	noSecrets(t, c.Dump())
}

// TestLoadZolozExample loads the ZOLOZ example, keys given inline.
func TestLoadZolozExample(t *testing.T) {
	t.Setenv("ZOLOZ_CLIENT_ID", "2188000123456789")
	t.Setenv("ZOLOZ_MERCHANT_PRIVATE_KEY", "MIIEvQIBADANBg")
	t.Setenv("ZOLOZ_PUBLIC_KEY", "MIIBIjANBgkqhk")
	t.Setenv("WEBHOOK_SECRET", testSecret('k'))
	c, err := Load(zolozExamplePath)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", zolozExamplePath, err)
	}
	if z := c.Providers.Zoloz; z == nil || !z.VerifiesResponses() || z.IsReturnImage != "N" {
		t.Errorf("zoloz section = %+v", z)
	}
	noSecrets(t, c.Dump())
}

// TestEnqueueNeedsNoProviderCredentials loads the example with none of its
// provider variables set, as an onboarding back end would.
func TestEnqueueNeedsNoProviderCredentials(t *testing.T) {
	t.Setenv("ADVANCE_ACCESS_KEY", "")
	t.Setenv("ADVANCE_SECRET_KEY", "")
	t.Setenv("WEBHOOK_SECRET", testSecret('k'))
	for _, path := range []string{examplePath, zolozExamplePath} {
		if _, err := LoadForEnqueue(path); err != nil {
			t.Errorf("LoadForEnqueue(%s): %v", path, err)
		}
		if _, err := Load(path); err == nil {
			t.Errorf("Load(%s) accepted missing provider credentials", path)
		}
	}
}

// TestExampleDocumentsEveryKey checks that the example shows every key of
// Config, and that each key has a comment.
func TestExampleDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	inFile := map[string]bool{}
	// Every key of the main example has a comment; the sinks example
	// documents its sinks as a whole.
	requireComments := true
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			name := key.Value
			if path == "sinks" {
				name = "*"
			}
			p := joinKey(path, name)
			inFile[p] = true
			if requireComments && key.HeadComment == "" && path != "sinks" {
				t.Errorf("%s (line %d) has no comment", p, key.Line)
			}
			walk(value, p)
		}
	}
	for _, path := range []string{examplePath, sinksExamplePath, zolozExamplePath} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		walk(doc.Content[0], "")
		requireComments = false
	}

	var want []string
	var keys func(t reflect.Type, path string)
	keys = func(t reflect.Type, path string) {
		switch t.Kind() {
		case reflect.Pointer:
			keys(t.Elem(), path)
		case reflect.Map:
			keys(t.Elem(), path+".*")
		case reflect.Struct:
			if t == durationType {
				return
			}
			for i := range t.NumField() {
				if !t.Field(i).IsExported() {
					continue
				}
				p := joinKey(path, yamlKey(t.Field(i)))
				want = append(want, p)
				keys(t.Field(i).Type, p)
			}
		}
	}
	keys(reflect.TypeFor[Config](), "")
	for _, k := range want {
		if !inFile[k] {
			t.Errorf("the example does not show %s", k)
		}
	}
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(missing)
	wantErr(t, err, missing)

	for _, text := range []string{"", "\n\n", "# only a comment\n", "---\n", "~\n"} {
		path := writeFile(t, text)
		_, err := Load(path)
		wantErr(t, err, path, "is empty")
	}
}

func TestResolvePath(t *testing.T) {
	t.Setenv(EnvConfigPath, "/from/env.yaml")
	if got, err := ResolvePath("/from/flag.yaml"); err != nil || got != "/from/flag.yaml" {
		t.Errorf("ResolvePath(flag) = %q, %v; want the flag value", got, err)
	}
	if got, err := ResolvePath(""); err != nil || got != "/from/env.yaml" {
		t.Errorf("ResolvePath(\"\") = %q, %v; want $%s", got, err, EnvConfigPath)
	}
	t.Setenv(EnvConfigPath, "")
	_, err := ResolvePath("")
	if err == nil || err.Error() != "no configuration file: pass -config FILE or set KYCPOLLER_CONFIG" {
		t.Errorf("ResolvePath with nothing set: %v", err)
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	_, err := parseWith(minimalYAML+`
redsi:
  addr: x:1
redis:
  adr: localhost:6379
worker:
  queues:
    poll:
      nme: q
`, nil)
	wantErr(t, err,
		"redsi: unknown key (line 12)",
		"redis.adr: unknown key (line 15)",
		"known keys: addr, username, password",
		"worker.queues.poll.nme: unknown key (line 19)",
	)

	_, err = parseWith(`
providers:
  advance:
    access_key: ak
    secret_key: sk
    acess_key: typo
sinks:
  main:
    type: webhook
    url: https://hooks.example.com/kyc
    secret: `+testSecret('m')+`
    secert: typo
`, nil)
	wantErr(t, err,
		"providers.advance.acess_key: unknown key (line 6)",
		"sinks.main.secert: unknown key (line 12)",
	)
}

func TestLoadStructureErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"syntax", "redis: [unclosed\n", []string{"parse configuration"}},
		{"two documents", minimalYAML + "---\nredis: {}\n", []string{"more than one YAML document"}},
		{"top level list", "- a\n- b\n", []string{"configuration: want a mapping of keys (line 1)"}},
		{"duplicate key", minimalYAML + "log:\n  level: info\n  level: debug\n",
			[]string{"log.level: defined twice (first at line 12) (line 13)"}},
		{"sinks as list", "sinks: [a, b]\n", []string{"sinks: want a mapping of keys"}},
		{"section as scalar", minimalYAML + "redis: localhost:6379\n", []string{"redis: want a mapping of keys"}},
		{"int as word", minimalYAML + "redis:\n  db: three\n", []string{`redis.db: want an integer (got "three") (line 12)`}},
		{"int as float", minimalYAML + "redis:\n  db: 1.5\n", []string{`redis.db: want an integer (got "1.5")`}},
		{"int as quoted", minimalYAML + "redis:\n  db: \"1\"\n", []string{`redis.db: want an integer`}},
		{"float as word", minimalYAML + "polling:\n  jitter: lots\n", []string{`polling.jitter: want a number (got "lots")`}},
		{"string as list", minimalYAML + "log:\n  level: [info]\n", []string{"log.level: want a string"}},
		{"list as scalar", minimalYAML + "worker:\n  queues:\n    poll:\n      weight: 1\n  concurrency: 1\n" +
			"events:\n  retention: [1h]\n", []string{"events.retention: want a duration"}},
		{"several", minimalYAML + "redis:\n  db: x\n  dial_timeout: 5\nlog: []\n", []string{
			"redis.db: want an integer", "redis.dial_timeout: a duration needs a unit", "log: want a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseWith(tt.text, nil)
			wantErr(t, err, tt.want...)
		})
	}
}

func TestLoadDurations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"5s", 5 * time.Second},
		{"2h", 2 * time.Hour},
		{"1m30s", 90 * time.Second},
		{"500ms", 500 * time.Millisecond},
		{`"10s"`, 10 * time.Second},
		{"0", 0},
		{"0s", 0},
		{"0.0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, minimalYAML+"polling:\n  first_delay: "+tt.value+"\n", nil)
			if c.Polling.FirstDelay != tt.want {
				t.Errorf("first_delay: %s gave %s, want %s", tt.value, c.Polling.FirstDelay, tt.want)
			}
		})
	}

	bad := []struct {
		value string
		want  string
	}{
		{"30", `polling.first_delay: a duration needs a unit, such as 30s or 2h (got "30")`},
		{"1.5", `polling.first_delay: a duration needs a unit`},
		{"soon", `polling.first_delay: want a duration such as 30s or 2h (got "soon")`},
		{"5 s", `polling.first_delay: want a duration`},
	}
	for _, tt := range bad {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			_, err := parseWith(minimalYAML+"polling:\n  first_delay: "+tt.value+"\n", nil)
			wantErr(t, err, tt.want)
		})
	}

	c := mustParse(t, minimalYAML+"    retry_schedule: [1s, 1m, 1h]\n", nil)
	if got, want := c.Sinks["main"].RetrySchedule, []time.Duration{time.Second, time.Minute, time.Hour}; !slices.Equal(got, want) {
		t.Errorf("retry_schedule = %v, want %v", got, want)
	}
	c = mustParse(t, minimalYAML+"    retry_schedule: []\n", nil)
	if got := c.Sinks["main"].RetrySchedule; got == nil || len(got) != 0 {
		t.Errorf("retry_schedule: [] gave %#v, want an empty schedule (no retries)", got)
	}
}

func TestLoadJitter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want float64
	}{
		{"absent", "", DefaultJitter},
		{"explicit zero", "polling:\n  jitter: 0\n", 0},
		{"explicit zero float", "polling:\n  jitter: 0.0\n", 0},
		{"null", "polling:\n  jitter: ~\n", DefaultJitter},
		{"one", "polling:\n  jitter: 1\n", 1},
		{"from environment", "polling:\n  jitter: ${JITTER}\n", 0},
		{"empty default", "polling:\n  jitter: ${UNSET_JITTER:-}\n", DefaultJitter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, minimalYAML+tt.text, map[string]string{"JITTER": "0"})
			if c.Polling.Jitter != tt.want {
				t.Errorf("jitter = %v, want %v", c.Polling.Jitter, tt.want)
			}
		})
	}
}

func TestLoadExpandsEnvironment(t *testing.T) {
	t.Parallel()
	injection := "x\npassword: injected\nsinks: {evil: {}}"
	c := mustParse(t, minimalYAML+`
# A reference in a comment is left alone: ${UNSET_IN_COMMENT}
redis:
  addr: ${REDIS_HOST}:${REDIS_PORT:-6379}
  username: ${INJECT}
  db: ${REDIS_DB}
  dial_timeout: ${DIAL_TIMEOUT:-3s}
  read_timeout: ${EMPTY:-4s}
log:
  level: ${LEVEL:-debug}
  format: "${FORMAT:-console}"
http:
  addr: '${HTTP_ADDR:-:9090}'
`, map[string]string{
		"REDIS_HOST": "redis.internal",
		"INJECT":     injection,
		"REDIS_DB":   "3",
		"EMPTY":      "",
		"NUMERIC":    "123",
	})
	checks := []struct {
		name      string
		got, want any
	}{
		{"redis.addr", c.Redis.Addr, "redis.internal:6379"},
		{"redis.username", c.Redis.Username, injection},
		{"redis.password", c.Redis.Password, Secret("")},
		{"sinks", c.SinkNames(), []string{"main"}},
		{"redis.db", c.Redis.DB, 3},
		{"redis.dial_timeout", c.Redis.DialTimeout, 3 * time.Second},
		{"redis.read_timeout", c.Redis.ReadTimeout, 4 * time.Second},
		{"http.addr", c.HTTP.Addr, ":9090"},
		{"log.level", c.Log.Level, "debug"},
		{"log.format", c.Log.Format, "console"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	// An expanded "123" stays a string; "$$" is a literal "$".
	_, err := parseWith(minimalYAML+"log:\n  level: ${NUMERIC}\n  format: js$$on\n", map[string]string{"NUMERIC": "123"})
	wantErr(t, err, `log.level: must be one of debug, info, warn, error (got "123")`, `log.format: must be one of json, console (got "js$on")`)
}

func TestLoadDoesNotExpandKeys(t *testing.T) {
	t.Parallel()
	_, err := parseWith(minimalYAML+"${KEY}: x\n", map[string]string{"KEY": "log"})
	wantErr(t, err, "${KEY}: unknown key")
}

func TestLoadUnsetVariable(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"ACCESS_KEY": testAccessKey,
		"SECRET_KEY": testSecretKey,
	}
	_, err := parse([]byte(minimalYAML+`
    secrets:
      - ${OLD_SECRET:-}
      - ${OLDER_SECRET}
redis:
  password: ${REDIS_PASSWORD}
`), lookupIn(env), false)
	wantErr(t, err,
		"sinks.main.secret: environment variable WEBHOOK_SECRET is not set",
		"sinks.main.secrets[1]: environment variable OLDER_SECRET is not set",
		"redis.password: environment variable REDIS_PASSWORD is not set",
	)
	if err != nil {
		noSecrets(t, err.Error())
		if n := strings.Count(err.Error(), "\n") + 1; n != 3 {
			t.Errorf("got %d lines, want 3:\n%v", n, err)
		}
	}
}

func TestLoadHidesValuesFromEnvironment(t *testing.T) {
	t.Parallel()
	_, err := parseWith(minimalYAML+`
redis:
  db: ${REDIS_DB}
  dial_timeout: ${DIAL}
`, map[string]string{"REDIS_DB": "sensitive-db", "DIAL": "sensitive-dial"})
	wantErr(t, err, "redis.db: want an integer (value from the environment not shown)", "redis.dial_timeout: want a duration")
	if err != nil {
		noSecrets(t, err.Error())
	}
}

func TestLoadMalformedReference(t *testing.T) {
	t.Parallel()
	_, err := parseWith(minimalYAML+"redis:\n  password: ab${sensitive part}cd\n  username: ${USER\n", nil)
	wantErr(t, err, "redis.password: malformed environment reference", `redis.username: unterminated "${"`)
	if err != nil {
		noSecrets(t, err.Error())
	}
}

func TestLoadSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	const bad = "whsec_sensitive-not-base64"
	_, err := parseWith(`
redis:
  password: sensitive-redis
  db: -1
providers:
  advance:
    access_key: "  sensitive-ak"
    secret_key: sensitive-sk
    timeout: -1s
sinks:
  main:
    type: webhook
    url: https://hooks.example.com/kyc
    secret: `+bad+`
    secrets: [sensitive-old, "`+testSecret('o')+`"]
    timeout: -1s
`, nil)
	wantErr(t, err, "redis.db:", "providers.advance.access_key: has leading or trailing white space",
		"providers.advance.timeout:", "sinks.main.secret: secret is not", "sinks.main.secrets[0]:", "sinks.main.timeout:")
	if err != nil {
		noSecrets(t, err.Error(), bad, testSecret('o'))
	}

	// A secret given the wrong shape is not echoed by the decoder either.
	_, err = parseWith(minimalYAML+"    secrets: "+testSecret('s')+"\nredis:\n  password: {sensitive: x}\n", nil)
	wantErr(t, err, "sinks.main.secrets: want a list", "redis.password: want a string")
	if err != nil {
		noSecrets(t, err.Error(), testSecret('s'), testSecret('s')[:12])
	}
}

func TestLoadMergeKeys(t *testing.T) {
	t.Parallel()
	text := `
providers:
  advance: {access_key: ak, secret_key: sk}
sinks:
  main: &sink
    type: webhook
    url: https://hooks.example.com/kyc
    secret: ${WEBHOOK_SECRET}
    timeout: 7s
  backup:
    <<: *sink
    url: https://backup.example.com/kyc
default_sink: main
`
	c := mustParse(t, text, nil)
	b := c.Sinks["backup"]
	if b.Timeout != 7*time.Second || b.URL != "https://backup.example.com/kyc" || string(b.Secret) != testSecret('k') {
		t.Errorf("merged sink = %+v", b)
	}

	_, err := parseWith(strings.Replace(text, "timeout: 7s", "timeout: 7s\n    tiemout: 8s", 1), nil)
	wantErr(t, err, "sinks.main.tiemout: unknown key", "sinks.backup.tiemout: unknown key")
}

func TestErrorLinesStartWithKeyPath(t *testing.T) {
	t.Parallel()
	_, err := parseWith(minimalYAML+"redis:\n  db: -1\nlog:\n  level: loud\n  format: xml\n", nil)
	if err == nil {
		t.Fatal("no error")
	}
	line := regexp.MustCompile(`^[a-z_]+(\.[a-z0-9_-]+|\[\d+\])*: `)
	for _, l := range strings.Split(err.Error(), "\n") {
		if !line.MatchString(l) {
			t.Errorf("line %q does not start with a key path", l)
		}
	}
}
