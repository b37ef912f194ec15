package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

// validConfig returns minimalYAML loaded, with defaults applied.
func validConfig(t *testing.T) *Config {
	t.Helper()
	return mustParse(t, minimalYAML, nil)
}

func TestValidateAcceptsValidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"defaults", func(*Config) {}},
		{"http to localhost", func(c *Config) { c.Providers.Advance.BaseURL = "http://localhost:8081" }},
		{"http to LOCALHOST", func(c *Config) { c.Providers.Advance.BaseURL = "http://LOCALHOST:8081/api" }},
		{"http to 127.0.0.2", func(c *Config) { c.Providers.Advance.BaseURL = "http://127.0.0.2" }},
		{"http to ::1", func(c *Config) { c.Providers.Advance.BaseURL = "http://[::1]:8081/" }},
		{"lower-case image type", func(c *Config) { c.Providers.Advance.ReturnImageType = "base64" }},
		{"token period bounds", func(c *Config) { c.Providers.Advance.TokenPeriod = time.Minute }},
		{"token period max", func(c *Config) { c.Providers.Advance.TokenPeriod = 24 * time.Hour }},
		{"64 KiB responses", func(c *Config) { c.Providers.Advance.MaxResponseBytes = 64 << 10 }},
		{"fixed interval", func(c *Config) {
			c.Polling.Multiplier = 1
			c.Polling.MaxInterval = c.Polling.InitialInterval
		}},
		{"no jitter", func(c *Config) { c.Polling.Jitter = 0 }},
		{"full jitter", func(c *Config) { c.Polling.Jitter = 1 }},
		{"first delay", func(c *Config) { c.Polling.FirstDelay = time.Minute }},
		{"no retries", func(c *Config) { setSink(c, "main", func(s *Sink) { s.RetrySchedule = []time.Duration{} }) }},
		{"20 retries", func(c *Config) {
			setSink(c, "main", func(s *Sink) { s.RetrySchedule = make([]time.Duration, 20) })
		}},
		{"rotation secrets", func(c *Config) {
			setSink(c, "main", func(s *Sink) { s.Secrets = []Secret{"", Secret(testSecret('o'))} })
		}},
		{"plain http sink", func(c *Config) {
			setSink(c, "main", func(s *Sink) { s.URL = "http://onboarding.internal:8080/kyc?x=1" })
		}},
		{"two sinks", func(c *Config) {
			c.Sinks["backup-2"] = c.Sinks["main"]
			c.DefaultSink = "backup-2"
		}},
		{"32-character sink name", func(c *Config) {
			c.Sinks[strings.Repeat("a", 32)] = c.Sinks["main"]
			c.DefaultSink = "main"
		}},
		{"worker bounds", func(c *Config) {
			c.Worker.Concurrency = 10000
			c.Worker.Queues.Poll.Weight = 100
			c.Worker.Queues.Delivery.Name = "kyc.delivery-2"
			c.Worker.Retention = time.Minute
			c.Worker.DelayedTaskCheckInterval = 10 * time.Millisecond
			c.Worker.TaskCheckInterval = time.Minute
		}},
		{"redis", func(c *Config) {
			c.Redis.Addr = "[::1]:6379"
			c.Redis.DB = 15
			c.Redis.ReadTimeout = time.Second
		}},
		{"event retention", func(c *Config) {
			c.Events.Retention = time.Hour
			setSink(c, "main", func(s *Sink) { s.RetrySchedule = []time.Duration{time.Minute} })
		}},
		{"http addr", func(c *Config) { c.HTTP.Addr = "127.0.0.1:0" }},
		{"log", func(c *Config) { c.Log.Level, c.Log.Format = "debug", "console" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig(t)
			tt.mutate(c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate:\n%v", err)
			}
		})
	}
}

func TestValidateNormalisesReturnImageType(t *testing.T) {
	t.Parallel()
	text := strings.Replace(minimalYAML, "    secret_key:", "    return_image_type: base64\n    secret_key:", 1)
	if got := mustParse(t, text, nil).Providers.Advance.ReturnImageType; got != ReturnImageTypeBase64 {
		t.Errorf("loaded return_image_type = %q, want %q", got, ReturnImageTypeBase64)
	}
	c := validConfig(t)
	c.Providers.Advance.ReturnImageType = "Url"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Providers.Advance.ReturnImageType; got != ReturnImageTypeURL {
		t.Errorf("return_image_type = %q, want %q", got, ReturnImageTypeURL)
	}
}

// setSink edits the named sink in place.
func setSink(c *Config, name string, edit func(s *Sink)) {
	s := c.Sinks[name]
	edit(&s)
	c.Sinks[name] = s
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string
	}{
		{"redis addr without port", func(c *Config) { c.Redis.Addr = "redis" }, `redis.addr: want host:port (got "redis")`},
		{"redis addr without host", func(c *Config) { c.Redis.Addr = ":6379" }, "redis.addr: want host:port, the host is missing"},
		{"redis port", func(c *Config) { c.Redis.Addr = "redis:0" }, "redis.addr: port must be a number from 1 to 65535"},
		{"redis port name", func(c *Config) { c.Redis.Addr = "redis:redis" }, "redis.addr: port must be"},
		{"redis db", func(c *Config) { c.Redis.DB = -1 }, "redis.db: must be >= 0 (got -1)"},
		{"redis dial timeout", func(c *Config) { c.Redis.DialTimeout = -time.Second }, "redis.dial_timeout: must be >= 0s (got -1s)"},
		{"redis read timeout", func(c *Config) { c.Redis.ReadTimeout = -1 }, "redis.read_timeout: must be >= 0s"},
		{"redis write timeout", func(c *Config) { c.Redis.WriteTimeout = -1 }, "redis.write_timeout: must be >= 0s"},

		{"no provider", func(c *Config) { c.Providers.Advance = nil }, "providers: no provider configured: add a providers.advance or providers.zoloz section"},
		{"base url scheme", func(c *Config) { c.Providers.Advance.BaseURL = "ftp://api.advance.ai" }, "providers.advance.base_url: want an absolute http or https URL with a host (got ftp://api.advance.ai)"},
		{"base url relative", func(c *Config) { c.Providers.Advance.BaseURL = "api.advance.ai" }, "providers.advance.base_url: want an absolute http or https URL"},
		{"base url no host", func(c *Config) { c.Providers.Advance.BaseURL = "https:///v1" }, "providers.advance.base_url: want an absolute http or https URL with a host"},
		{"base url unparsable", func(c *Config) { c.Providers.Advance.BaseURL = "https://a b/%zz" }, "providers.advance.base_url: not a valid URL"},
		{"base url query", func(c *Config) { c.Providers.Advance.BaseURL = "https://api.advance.ai/?x=1" }, "providers.advance.base_url: must not have a query or fragment"},
		{"base url fragment", func(c *Config) { c.Providers.Advance.BaseURL = "https://api.advance.ai/#top" }, "providers.advance.base_url: must not have a query or fragment"},
		{"base url plain http", func(c *Config) { c.Providers.Advance.BaseURL = "http://api.advance.ai" }, "providers.advance.base_url: plain http is only allowed to a loopback host (localhost, 127.0.0.0/8, ::1): elsewhere the access and secret keys would travel in clear"},
		{"base url plain http lookalike", func(c *Config) { c.Providers.Advance.BaseURL = "http://localhost.evil.example" }, "in clear"},
		{"base url password hidden", func(c *Config) { c.Providers.Advance.BaseURL = "http://user:sensitive@api.advance.ai" }, "(got http://user:xxxxx@api.advance.ai)"},
		{"access key", func(c *Config) { c.Providers.Advance.AccessKey = "" }, "providers.advance.access_key: required"},
		{"secret key", func(c *Config) { c.Providers.Advance.SecretKey = "" }, "providers.advance.secret_key: required"},
		{"secret key space", func(c *Config) { c.Providers.Advance.SecretKey = "sensitive\n" }, "providers.advance.secret_key: has leading or trailing white space"},
		{"image type", func(c *Config) { c.Providers.Advance.ReturnImageType = "jpeg" }, `providers.advance.return_image_type: must be URL or BASE64 (got "jpeg")`},
		{"provider timeout", func(c *Config) { c.Providers.Advance.Timeout = -1 }, "providers.advance.timeout: must be > 0"},
		{"token period short", func(c *Config) { c.Providers.Advance.TokenPeriod = 59 * time.Second }, "providers.advance.token_period: must be between 1m0s and 24h0m0s (got 59s)"},
		{"token period long", func(c *Config) { c.Providers.Advance.TokenPeriod = 25 * time.Hour }, "providers.advance.token_period: must be between"},
		{"max response bytes", func(c *Config) { c.Providers.Advance.MaxResponseBytes = 1024 }, "providers.advance.max_response_bytes: must be >= 65536 (64 KiB) (got 1024)"},

		{"first delay", func(c *Config) { c.Polling.FirstDelay = -time.Second }, "polling.first_delay: must be >= 0s (got -1s)"},
		{"initial interval", func(c *Config) { c.Polling.InitialInterval = -time.Second }, "polling.initial_interval: must be > 0 (got -1s)"},
		{"max interval", func(c *Config) { c.Polling.MaxInterval = time.Second }, "polling.max_interval: must be >= polling.initial_interval (5s) (got 1s)"},
		{"multiplier", func(c *Config) { c.Polling.Multiplier = 0.5 }, "polling.multiplier: must be a finite number >= 1 (got 0.5)"},
		{"multiplier NaN", func(c *Config) { c.Polling.Multiplier = math.NaN() }, "polling.multiplier: must be a finite number >= 1"},
		{"multiplier Inf", func(c *Config) { c.Polling.Multiplier = math.Inf(1) }, "polling.multiplier: must be a finite number >= 1"},
		{"jitter negative", func(c *Config) { c.Polling.Jitter = -0.1 }, "polling.jitter: must be between 0 and 1 (got -0.1)"},
		{"jitter above 1", func(c *Config) { c.Polling.Jitter = 1.5 }, "polling.jitter: must be between 0 and 1"},
		{"jitter NaN", func(c *Config) { c.Polling.Jitter = math.NaN() }, "polling.jitter: must be between 0 and 1"},
		{"max age", func(c *Config) { c.Polling.MaxAge = 5 * time.Second }, "polling.max_age: must be longer than polling.initial_interval (5s) (got 5s)"},
		{"error interval", func(c *Config) { c.Polling.ErrorInitialInterval = -1 }, "polling.error_initial_interval: must be > 0"},
		{"attempt timeout", func(c *Config) { c.Polling.AttemptTimeout = -1 }, "polling.attempt_timeout: must be > 0"},

		{"no sinks", func(c *Config) { c.Sinks = nil; c.DefaultSink = "" }, "sinks: at least one sink is required"},
		{"sink name case", func(c *Config) { c.Sinks["Main"] = c.Sinks["main"] }, `sinks.Main: sink name must match ^[a-z0-9][a-z0-9_-]{0,31}$ (got "Main")`},
		{"sink name start", func(c *Config) { c.Sinks["-x"] = c.Sinks["main"] }, "sinks.-x: sink name must match"},
		{"sink name length", func(c *Config) { c.Sinks[strings.Repeat("a", 33)] = c.Sinks["main"] }, "sink name must match"},
		{"sink type missing", func(c *Config) { setSink(c, "main", func(s *Sink) { s.Type = "" }) }, "sinks.main.type: required; supported types: webhook"},
		{"sink type", func(c *Config) { setSink(c, "main", func(s *Sink) { s.Type = "sqs" }) }, `sinks.main.type: unsupported sink type (got "sqs"); supported types: webhook`},
		{"sink url missing", func(c *Config) { setSink(c, "main", func(s *Sink) { s.URL = "" }) }, "sinks.main.url: required"},
		{"sink url relative", func(c *Config) { setSink(c, "main", func(s *Sink) { s.URL = "/hooks" }) }, "sinks.main.url: want an absolute http or https URL with a host (got /hooks)"},
		{"sink url scheme", func(c *Config) { setSink(c, "main", func(s *Sink) { s.URL = "mailto:kyc@example.com" }) }, "sinks.main.url: want an absolute http or https URL"},
		{"sink secret missing", func(c *Config) { setSink(c, "main", func(s *Sink) { s.Secret = "" }) }, "sinks.main.secret: required"},
		{"sink secret", func(c *Config) { setSink(c, "main", func(s *Sink) { s.Secret = "whsec_sensitive" }) }, `sinks.main.secret: secret is not "whsec_" followed by standard base64`},
		{"sink secret short", func(c *Config) { setSink(c, "main", func(s *Sink) { s.Secret = "whsec_c2Vuc2l0aXZl" }) }, "sinks.main.secret: secret decodes to 9 bytes, want 24 to 64"},
		{"sink secrets entry", func(c *Config) {
			setSink(c, "main", func(s *Sink) { s.Secrets = []Secret{Secret(testSecret('o')), "sensitive"} })
		}, "sinks.main.secrets[1]: secret is not"},
		{"sink timeout", func(c *Config) { setSink(c, "main", func(s *Sink) { s.Timeout = -1 }) }, "sinks.main.timeout: must be > 0"},
		{"retry schedule length", func(c *Config) {
			setSink(c, "main", func(s *Sink) { s.RetrySchedule = make([]time.Duration, 21) })
		}, "sinks.main.retry_schedule: at most 20 entries (got 21)"},
		{"retry schedule entry", func(c *Config) {
			setSink(c, "main", func(s *Sink) { s.RetrySchedule = []time.Duration{time.Second, -time.Second} })
		}, "sinks.main.retry_schedule[1]: must be >= 0s (got -1s)"},
		{"default sink unknown", func(c *Config) { c.DefaultSink = "other" }, `default_sink: names no configured sink (got "other"; configured: main)`},
		{"default sink required", func(c *Config) {
			c.Sinks["backup"] = c.Sinks["main"]
			c.DefaultSink = ""
		}, "default_sink: required when more than one sink is configured (configured: backup, main)"},

		{"concurrency zero", func(c *Config) { c.Worker.Concurrency = -1 }, "worker.concurrency: must be 1 to 10000 (got -1)"},
		{"concurrency high", func(c *Config) { c.Worker.Concurrency = 10001 }, "worker.concurrency: must be 1 to 10000"},
		{"shutdown timeout", func(c *Config) { c.Worker.ShutdownTimeout = -1 }, "worker.shutdown_timeout: must be > 0"},
		{"poll queue empty", func(c *Config) { c.Worker.Queues.Poll.Name = "" }, "worker.queues.poll.name: required"},
		{"delivery queue empty", func(c *Config) { c.Worker.Queues.Delivery.Name = "" }, "worker.queues.delivery.name: required"},
		{"queue name", func(c *Config) { c.Worker.Queues.Poll.Name = "kyc poll" }, `worker.queues.poll.name: must match ^[A-Za-z0-9_.-]+$ (got "kyc poll")`},
		{"queue names equal", func(c *Config) { c.Worker.Queues.Delivery.Name = DefaultPollQueue }, `worker.queues.delivery.name: must differ from worker.queues.poll.name (got "kyc_poll")`},
		{"poll weight", func(c *Config) { c.Worker.Queues.Poll.Weight = -1 }, "worker.queues.poll.weight: must be 1 to 100 (got -1)"},
		{"delivery weight", func(c *Config) { c.Worker.Queues.Delivery.Weight = 101 }, "worker.queues.delivery.weight: must be 1 to 100 (got 101)"},
		{"worker retention", func(c *Config) { c.Worker.Retention = 59 * time.Second }, "worker.retention: must be >= 1m0s (got 59s)"},
		{"delayed check short", func(c *Config) { c.Worker.DelayedTaskCheckInterval = time.Millisecond }, "worker.delayed_task_check_interval: must be between 10ms and 1m0s (got 1ms)"},
		{"delayed check long", func(c *Config) { c.Worker.DelayedTaskCheckInterval = 2 * time.Minute }, "worker.delayed_task_check_interval: must be between"},
		{"task check", func(c *Config) { c.Worker.TaskCheckInterval = time.Millisecond }, "worker.task_check_interval: must be between 10ms and 1m0s"},

		{"event retention", func(c *Config) {
			c.Events.Retention = 30 * time.Minute
			setSink(c, "main", func(s *Sink) { s.RetrySchedule = nil })
		}, "events.retention: must be >= 1h0m0s (got 30m0s)"},
		{"event retention below retries", func(c *Config) {
			c.Events.Retention = 10 * time.Hour
			c.Sinks["fast"] = Sink{Type: SinkTypeWebhook, URL: "https://x.example", Secret: Secret(testSecret('f')),
				Timeout: time.Second, RetrySchedule: []time.Duration{time.Hour}}
			c.DefaultSink = "main"
		}, `events.retention: must be longer than the total retry_schedule of sink "main" (27h35m5s), so that an event outlives its last delivery retry (got 10h0m0s)`},
		{"event retention equal to retries", func(c *Config) {
			c.Events.Retention = 2 * time.Hour
			setSink(c, "main", func(s *Sink) { s.RetrySchedule = []time.Duration{time.Hour, time.Hour} })
		}, `events.retention: must be longer than the total retry_schedule of sink "main" (2h0m0s)`},

		{"http addr", func(c *Config) { c.HTTP.Addr = "8080" }, `http.addr: want host:port (got "8080")`},
		{"http port", func(c *Config) { c.HTTP.Addr = ":99999" }, "http.addr: port must be a number from 0 to 65535"},
		{"log level", func(c *Config) { c.Log.Level = "trace" }, `log.level: must be one of debug, info, warn, error (got "trace")`},
		{"log format", func(c *Config) { c.Log.Format = "text" }, `log.format: must be one of json, console (got "text")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig(t)
			tt.mutate(c)
			err := c.Validate()
			wantErr(t, err, tt.want)
			if err != nil {
				noSecrets(t, err.Error())
				if strings.Count(err.Error(), "\n") != 0 {
					t.Errorf("want exactly one problem, got:\n%v", err)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := validConfig(t)
	c.Redis.DB = -1
	c.Providers.Advance.AccessKey = ""
	c.Polling.Jitter = 2
	hook := c.Sinks["main"]
	hook.Secret = ""
	c.Sinks["hook"] = hook
	setSink(c, "main", func(s *Sink) { s.Type = "ftp" })
	c.DefaultSink = "main"
	c.Worker.Concurrency = 0
	c.Log.Level = "loud"
	err := c.Validate()
	want := []string{
		"redis.db:",
		"providers.advance.access_key:",
		"polling.jitter:",
		"sinks.main.type:",
		"sinks.hook.secret:",
		"worker.concurrency:",
		"log.level:",
	}
	wantErr(t, err, want...)
	if err != nil {
		if lines := strings.Split(err.Error(), "\n"); len(lines) != len(want) {
			t.Errorf("got %d problems, want %d:\n%v", len(lines), len(want), err)
		}
	}

	// Loaded from a file, the same holds.
	_, err = parseWith(minimalYAML+`
redis:
  db: -1
polling:
  jitter: 2
  multiplier: 0.5
worker:
  concurrency: 20000
log:
  format: xml
`, nil)
	wantErr(t, err, "redis.db:", "polling.jitter:", "polling.multiplier:", "worker.concurrency:", "log.format:")
}

func TestSinkHelpers(t *testing.T) {
	t.Parallel()
	c := validConfig(t)
	c.Sinks["b"] = c.Sinks["main"]
	c.Sinks["a"] = c.Sinks["main"]
	if got, want := strings.Join(c.SinkNames(), ","), "a,b,main"; got != want {
		t.Errorf("SinkNames = %s, want %s", got, want)
	}
	if got := (&Config{}).SinkNames(); len(got) != 0 {
		t.Errorf("SinkNames of no sinks = %v", got)
	}

	s := Sink{Secret: "one", Secrets: []Secret{"", "two", "", "three"}}
	if got, want := strings.Join(s.SigningSecrets(), ","), "one,two,three"; got != want {
		t.Errorf("SigningSecrets = %s, want %s", got, want)
	}
}

func TestProviderConfigured(t *testing.T) {
	t.Parallel()
	c := validConfig(t)
	if !c.ProviderConfigured("advance") {
		t.Error(`ProviderConfigured("advance") = false with a providers.advance section`)
	}
	for _, name := range []string{"zoloz", "Advance", ""} {
		if c.ProviderConfigured(name) {
			t.Errorf("ProviderConfigured(%q) = true", name)
		}
	}
	c.Providers.Advance = nil
	if c.ProviderConfigured("advance") {
		t.Error(`ProviderConfigured("advance") = true without a section`)
	}
}
