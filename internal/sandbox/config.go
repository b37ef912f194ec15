package sandbox

import (
	"cmp"
	"fmt"
	"os"
	"strings"
	"text/template"
	"time"
)

// ConfigParams are the knobs of the generated configuration. Zero values
// take the defaults in withDefaults, tuned for fast local runs.
type ConfigParams struct {
	RedisAddr     string
	AdvanceURL    string
	AccessKey     string
	SecretKey     string
	WebhookURL    string
	WebhookSecret string
	HTTPAddr      string

	ZolozURL            string
	ZolozClientID       string
	ZolozPrivateKeyFile string
	ZolozPublicKeyFile  string

	FirstDelay               time.Duration
	InitialInterval          time.Duration
	MaxInterval              time.Duration
	Multiplier               float64
	Jitter                   float64
	MaxAge                   time.Duration
	ErrorInitialInterval     time.Duration
	ProviderTimeout          time.Duration
	RetrySchedule            []time.Duration
	SinkTimeout              time.Duration
	Concurrency              int
	ShutdownTimeout          time.Duration
	DelayedTaskCheckInterval time.Duration
	LogLevel                 string
	LogFormat                string
}

func (p ConfigParams) withDefaults() ConfigParams {
	p.InitialInterval = cmp.Or(p.InitialInterval, time.Second)
	p.MaxInterval = cmp.Or(p.MaxInterval, 2*time.Second)
	p.Multiplier = cmp.Or(p.Multiplier, 1.5)
	p.MaxAge = cmp.Or(p.MaxAge, time.Minute)
	p.ErrorInitialInterval = cmp.Or(p.ErrorInitialInterval, time.Second)
	p.ProviderTimeout = cmp.Or(p.ProviderTimeout, 5*time.Second)
	if p.RetrySchedule == nil {
		p.RetrySchedule = []time.Duration{time.Second, time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second}
	}
	p.SinkTimeout = cmp.Or(p.SinkTimeout, 5*time.Second)
	p.Concurrency = cmp.Or(p.Concurrency, 20)
	p.ShutdownTimeout = cmp.Or(p.ShutdownTimeout, 10*time.Second)
	p.DelayedTaskCheckInterval = cmp.Or(p.DelayedTaskCheckInterval, 100*time.Millisecond)
	p.LogLevel = cmp.Or(p.LogLevel, "info")
	p.LogFormat = cmp.Or(p.LogFormat, "json")
	return p
}

var configTemplate = template.Must(template.New("config").Funcs(template.FuncMap{
	"durations": func(ds []time.Duration) string {
		s := make([]string, len(ds))
		for i, d := range ds {
			s[i] = d.String()
		}
		return "[" + strings.Join(s, ", ") + "]"
	},
}).Parse(`# Generated for a local sandbox: fake provider, local receiver.
redis: {addr: "{{.RedisAddr}}"}
providers:
  advance:
    base_url: "{{.AdvanceURL}}"
    access_key: "{{.AccessKey}}"
    secret_key: "{{.SecretKey}}"
    return_image_type: URL
    timeout: {{.ProviderTimeout}}
{{- if .ZolozURL}}
  zoloz:
    base_url: "{{.ZolozURL}}"
    client_id: "{{.ZolozClientID}}"
    merchant_private_key_file: "{{.ZolozPrivateKeyFile}}"
    zoloz_public_key_file: "{{.ZolozPublicKeyFile}}"
    timeout: {{.ProviderTimeout}}
{{- end}}
polling:
  first_delay: {{.FirstDelay}}
  initial_interval: {{.InitialInterval}}
  max_interval: {{.MaxInterval}}
  multiplier: {{.Multiplier}}
  jitter: {{.Jitter}}
  max_age: {{.MaxAge}}
  error_initial_interval: {{.ErrorInitialInterval}}
sinks:
  default:
    type: webhook
    url: "{{.WebhookURL}}/kyc"
    secret: "{{.WebhookSecret}}"
    timeout: {{.SinkTimeout}}
    retry_schedule: {{durations .RetrySchedule}}
worker:
  concurrency: {{.Concurrency}}
  shutdown_timeout: {{.ShutdownTimeout}}
  delayed_task_check_interval: {{.DelayedTaskCheckInterval}}
  task_check_interval: 50ms
events: {retention: 24h}
http: {addr: "{{.HTTPAddr}}"}
log: {level: {{.LogLevel}}, format: {{.LogFormat}}}
`))

// Render returns the configuration file's text.
func (p ConfigParams) Render() (string, error) {
	var b strings.Builder
	if err := configTemplate.Execute(&b, p.withDefaults()); err != nil {
		return "", fmt.Errorf("render sandbox config: %w", err)
	}
	return b.String(), nil
}

// WriteFile writes the configuration file, readable by its owner only (it
// holds the sandbox's keys).
func (p ConfigParams) WriteFile(path string) error {
	text, err := p.Render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return fmt.Errorf("write sandbox config: %w", err)
	}
	return nil
}
