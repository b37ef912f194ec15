// Package config loads, defaults and validates kycpoller's YAML
// configuration. The file is a public interface: its keys are documented in
// config/kycpoller.example.yaml and must stay stable.
package config

import "time"

// Config is the whole configuration file.
type Config struct {
	Redis     Redis           `yaml:"redis"`
	Providers Providers       `yaml:"providers"`
	Polling   Polling         `yaml:"polling"`
	Sinks     map[string]Sink `yaml:"sinks"`
	// DefaultSink names the sink used when an enqueue names none. It may be
	// left empty when exactly one sink is configured.
	DefaultSink string    `yaml:"default_sink"`
	Worker      Worker    `yaml:"worker"`
	Events      Events    `yaml:"events"`
	HTTP        HTTP      `yaml:"http"`
	API         API       `yaml:"api"`
	Callbacks   Callbacks `yaml:"callbacks"`
	Log         Log       `yaml:"log"`

	// credentialsOptional is set by LoadForEnqueue: provider credentials
	// are not needed to enqueue.
	credentialsOptional bool
}

// Redis is the connection used by the queue, the token cache and the event
// store. One topology is chosen: addr (the default), url, sentinel or
// cluster; see redis.go.
type Redis struct {
	Addr         string        `yaml:"addr"`
	Username     string        `yaml:"username"`
	Password     Secret        `yaml:"password"`
	DB           int           `yaml:"db"`
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// URL is redis://[user:password@]host:port[/db] or rediss:// (TLS),
	// instead of addr. It is a Secret: it may carry the password.
	URL      Secret        `yaml:"url"`
	TLS      RedisTLS      `yaml:"tls"`
	Sentinel RedisSentinel `yaml:"sentinel"`
	Cluster  RedisCluster  `yaml:"cluster"`
}

// Providers holds one optional section per provider. A provider whose section
// is absent is not configured: references for it are rejected at enqueue.
type Providers struct {
	Advance *Advance `yaml:"advance"`
	Zoloz   *Zoloz   `yaml:"zoloz"`
}

// Advance configures the ADVANCE.AI IDVS H5 eKYC client.
type Advance struct {
	BaseURL   string `yaml:"base_url"`
	AccessKey Secret `yaml:"access_key"`
	SecretKey Secret `yaml:"secret_key"`
	// ReturnImageType is URL (default) or BASE64.
	ReturnImageType string `yaml:"return_image_type"`
	// Timeout bounds one HTTP request to the provider.
	Timeout time.Duration `yaml:"timeout"`
	// TokenPeriod is the lifetime asked for new access tokens (60s to 24h).
	TokenPeriod time.Duration `yaml:"token_period"`
	// MaxResponseBytes caps a response body; larger bodies are a transient
	// error.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// RateLimit bounds calls to ADVANCE.AI across every worker.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// Zoloz configures the ZOLOZ Real ID client. Each key is given inline or as
// a file (PEM, or bare base64 DER as ZOLOZ's portal hands it out), not both.
type Zoloz struct {
	BaseURL  string `yaml:"base_url"`
	ClientID string `yaml:"client_id"`
	// MerchantPrivateKey signs requests (PKCS#8 or PKCS#1, RSA >= 2048).
	MerchantPrivateKeyFile string `yaml:"merchant_private_key_file"`
	MerchantPrivateKey     Secret `yaml:"merchant_private_key"`
	// ZolozPublicKey verifies response signatures (PKIX).
	ZolozPublicKeyFile string `yaml:"zoloz_public_key_file"`
	ZolozPublicKey     string `yaml:"zoloz_public_key"`
	// VerifyResponseSignature checks every response's signature (default
	// true); a response that fails is never trusted.
	VerifyResponseSignature *bool `yaml:"verify_response_signature"`
	// IsReturnImage asks for base64 images in results: Y or N (default N).
	IsReturnImage string `yaml:"is_return_image"`
	// ExtraImageControlList asks for extra images (needs is_return_image Y).
	ExtraImageControlList []string `yaml:"extra_image_control_list"`
	// ReturnFiveCategorySpoofResult asks for the detailed spoof result: Y
	// or N (default N).
	ReturnFiveCategorySpoofResult string        `yaml:"return_five_category_spoof_result"`
	Timeout                       time.Duration `yaml:"timeout"`
	MaxResponseBytes              int64         `yaml:"max_response_bytes"`
	// RateLimit bounds calls to ZOLOZ across every worker.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// VerifiesResponses reports whether response signatures are checked.
func (z *Zoloz) VerifiesResponses() bool {
	return z.VerifyResponseSignature == nil || *z.VerifyResponseSignature
}

// Polling is the schedule of provider checks for one verification.
type Polling struct {
	// FirstDelay postpones the first poll after enqueue (default 0: at once).
	FirstDelay      time.Duration `yaml:"first_delay"`
	InitialInterval time.Duration `yaml:"initial_interval"`
	MaxInterval     time.Duration `yaml:"max_interval"`
	Multiplier      float64       `yaml:"multiplier"`
	// Jitter is the randomisation factor applied to each delay, 0 to 1.
	Jitter float64 `yaml:"jitter"`
	// MaxAge ends a verification with status TIMEOUT when it is still not
	// final this long after it was enqueued.
	MaxAge time.Duration `yaml:"max_age"`
	// ErrorInitialInterval is the first delay after a transient provider
	// error; it doubles per consecutive error up to MaxInterval.
	ErrorInitialInterval time.Duration `yaml:"error_initial_interval"`
	// AttemptTimeout bounds one poll attempt (token fetch and result call).
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
}

// Sink is one named delivery target, or (type fanout) a named set of them.
// An enqueue names a sink; each target it resolves to has its own delivery
// task, retry schedule and dead letters.
type Sink struct {
	// Type is webhook, redis_stream, nats, amqp or fanout.
	Type string `yaml:"type"`
	// URL is the webhook endpoint (http/https), the NATS server
	// (nats://, tls://) or the AMQP broker (amqp://, amqps://).
	URL string `yaml:"url"`
	// Secret is the Standard Webhooks signing secret ("whsec_" + base64).
	Secret Secret `yaml:"secret"`
	// Secrets lists extra signing secrets during a rotation; every one signs.
	Secrets []Secret      `yaml:"secrets"`
	Timeout time.Duration `yaml:"timeout"`
	// RetrySchedule is the delay before each retry after the first attempt.
	RetrySchedule []time.Duration `yaml:"retry_schedule"`

	// Format of the body: "default" (the completion event) or "cloudevents"
	// (CloudEvents 1.0, structured JSON).
	Format string `yaml:"format"`
	// IncludeResult puts the provider's result in the body (default true).
	IncludeResult *bool `yaml:"include_result"`
	// IncludeImages keeps base64 images in the result; by default each is
	// replaced by its length and SHA-256.
	IncludeImages bool `yaml:"include_images"`

	// Stream is the Redis stream key (redis_stream) or the JetStream stream
	// to create or update for Subject (nats, optional).
	Stream string `yaml:"stream"`
	// MaxLen trims the Redis stream to about this many entries (0: never).
	MaxLen int64 `yaml:"maxlen"`
	// Redis is another Redis for the stream; the main one when absent.
	Redis *Redis `yaml:"redis"`

	// Subject is the NATS subject events are published on.
	Subject string `yaml:"subject"`
	// DuplicateWindow is the JetStream de-duplication window of a stream
	// created by kycpoller (default: the server's, 2m).
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
	// User, Password and Token authenticate to NATS.
	User     string `yaml:"user"`
	Password Secret `yaml:"password"`
	Token    Secret `yaml:"token"`

	// Exchange and RoutingKey address AMQP messages; the default exchange
	// ("") routes by queue name.
	Exchange   string `yaml:"exchange"`
	RoutingKey string `yaml:"routing_key"`

	// Targets lists the sinks a fanout sink delivers to.
	Targets []string `yaml:"targets"`
}

// Sink types.
const (
	SinkTypeRedisStream = "redis_stream"
	SinkTypeNATS        = "nats"
	SinkTypeAMQP        = "amqp"
	SinkTypeFanout      = "fanout"
)

// Body formats.
const (
	FormatDefault     = "default"
	FormatCloudEvents = "cloudevents"
)

// Worker configures the asynq server.
type Worker struct {
	Concurrency     int           `yaml:"concurrency"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	Queues          Queues        `yaml:"queues"`
	// Retention keeps completed tasks, so that enqueueing the same reference
	// again within this window is reported as a duplicate.
	Retention time.Duration `yaml:"retention"`
	// DelayedTaskCheckInterval is how often scheduled and retry tasks are
	// moved to their queue: the resolution of every poll delay.
	DelayedTaskCheckInterval time.Duration `yaml:"delayed_task_check_interval"`
	// TaskCheckInterval is how often an idle worker looks for new tasks.
	TaskCheckInterval time.Duration `yaml:"task_check_interval"`
}

// Queues names the asynq queues for polls and deliveries.
type Queues struct {
	Poll     Queue `yaml:"poll"`
	Delivery Queue `yaml:"delivery"`
}

// Queue is one asynq queue and its weight in the worker's (non-strict)
// priority: both queues are always served, in proportion to their weights.
type Queue struct {
	Name   string `yaml:"name"`
	Weight int    `yaml:"weight"`
}

// Events configures the store of final events.
type Events struct {
	// Retention is how long a final event is kept in Redis, for delivery
	// retries and replay.
	Retention time.Duration `yaml:"retention"`
	// EncryptionKey encrypts stored events (AES-256-GCM): 32 bytes as
	// base64 or hex, inline or in EncryptionKeyFile, not both. Neither
	// stores events unencrypted.
	EncryptionKey     Secret `yaml:"encryption_key"`
	EncryptionKeyFile string `yaml:"encryption_key_file"`
	// DecryptionKeys are earlier encryption keys, kept after a rotation so
	// that events stored with them stay readable until they expire.
	DecryptionKeys []Secret `yaml:"decryption_keys"`

	// keys are the decoded keys, set by Validate: the encryption key, then
	// the decryption keys (see EncryptionKeys).
	keys [][]byte
}

// HTTP is the worker's HTTP listener.
type HTTP struct {
	Addr string `yaml:"addr"`
	// MetricsToken, when set, must be presented on /metrics as
	// "Authorization: Bearer TOKEN". Empty leaves /metrics open, as
	// Prometheus scrapes it by default.
	MetricsToken Secret `yaml:"metrics_token"`
	// Dashboard is the asynq web UI at /monitoring/; see dashboard.go.
	Dashboard Dashboard `yaml:"dashboard"`
}

// Log configures the logger.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json (default) or console.
	Format string `yaml:"format"`
}

// Secret is a configuration value that must never be printed. Its String,
// JSON and YAML forms are redacted; use string(s) where the value is needed.
type Secret string

const redacted = "[REDACTED]"

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString redacts the secret in %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON redacts the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalYAML redacts the secret.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
