package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/stdwebhook"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// SinkTypeWebhook is the type of a Standard Webhooks HTTP sink, the only sink
// type so far.
const SinkTypeWebhook = "webhook"

// Values accepted for providers.advance.return_image_type.
const (
	ReturnImageTypeURL    = "URL"
	ReturnImageTypeBase64 = "BASE64"
)

// Limits checked by Validate.
const (
	minTokenPeriod      = 60 * time.Second
	maxTokenPeriod      = 24 * time.Hour
	minMaxResponseBytes = 64 << 10
	maxRetryScheduleLen = 20
	maxConcurrency      = 10000
	maxQueueWeight      = 100
	minWorkerRetention  = time.Minute
	minCheckInterval    = 10 * time.Millisecond
	maxCheckInterval    = time.Minute
	minEventRetention   = time.Hour
)

var (
	sinkNamePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	queueNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	logLevels        = []string{"debug", "info", "warn", "error"}
	logFormats       = []string{"json", "console"}
)

// Validate checks every value and returns every problem found, one per line,
// each as "key.path: reason (got VALUE)"; the value is left out for secrets.
// Call it after ApplyDefaults. It also normalises
// providers.advance.return_image_type to upper case.
func (c *Config) Validate() error {
	var p problems
	c.validateRedis(&p)
	c.validateProviders(&p)
	c.validatePolling(&p)
	c.validateSinks(&p)
	c.validateWorker(&p)
	c.validateEvents(&p)
	checkHostPort(&p, "http.addr", c.HTTP.Addr, false)
	c.validateAPI(&p)
	c.validateDashboard(&p)
	if c.HTTP.MetricsToken != "" {
		checkToken(&p, "http.metrics_token", c.HTTP.MetricsToken)
	}
	if !slices.Contains(logLevels, c.Log.Level) {
		p.addf("log.level", "must be one of %s (got %q)", strings.Join(logLevels, ", "), c.Log.Level)
	}
	if !slices.Contains(logFormats, c.Log.Format) {
		p.addf("log.format", "must be one of %s (got %q)", strings.Join(logFormats, ", "), c.Log.Format)
	}
	return errors.Join(p...)
}

// problems collects validation errors.
type problems []error

func (p *problems) addf(path, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (c *Config) validateRedis(p *problems) {
	validateRedisSection(p, "redis", c.Redis)
}

func (c *Config) validateProviders(p *problems) {
	if c.Providers.Advance == nil && c.Providers.Zoloz == nil {
		p.addf("providers", "no provider configured: add a providers.advance or providers.zoloz section")
		return
	}
	if c.Providers.Advance != nil {
		c.validateAdvance(p)
	}
	if c.Providers.Zoloz != nil {
		c.validateZoloz(p)
	}
}

func (c *Config) validateZoloz(p *problems) {
	z := c.Providers.Zoloz
	const path = "providers.zoloz"
	if u, ok := checkHTTPURL(p, path+".base_url", z.BaseURL); ok {
		if u.RawQuery != "" || strings.Contains(z.BaseURL, "#") || strings.Trim(u.Path, "/") != "" {
			p.addf(path+".base_url", "must be the gateway's scheme and host only, without path, query or fragment: the request signature covers the path (got %s)", u.Redacted())
		}
		if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
			p.addf(path+".base_url", "plain http is only allowed to a loopback host (localhost, 127.0.0.0/8, ::1); use https (got %s)", u.Redacted())
		}
	}
	if !c.credentialsOptional {
		if z.ClientID == "" {
			p.addf(path+".client_id", "required")
		}
		keyPair(p, path+".merchant_private_key", z.MerchantPrivateKeyFile, string(z.MerchantPrivateKey), true)
		keyPair(p, path+".zoloz_public_key", z.ZolozPublicKeyFile, z.ZolozPublicKey, z.VerifiesResponses())
	}
	for _, f := range []struct{ key, v string }{
		{"is_return_image", z.IsReturnImage},
		{"return_five_category_spoof_result", z.ReturnFiveCategorySpoofResult},
	} {
		if f.v != "Y" && f.v != "N" {
			p.addf(path+"."+f.key, "must be Y or N (got %q)", f.v)
		}
	}
	if len(z.ExtraImageControlList) > 0 && z.IsReturnImage != "Y" {
		p.addf(path+".extra_image_control_list", "needs is_return_image: Y")
	}
	positive(p, path+".timeout", z.Timeout)
	if z.MaxResponseBytes < minMaxResponseBytes {
		p.addf(path+".max_response_bytes", "must be >= %d (64 KiB) (got %d)", minMaxResponseBytes, z.MaxResponseBytes)
	}
}

// keyPair checks that a key is given exactly once, inline or as a file.
func keyPair(p *problems, path, file, inline string, required bool) {
	switch {
	case file != "" && inline != "":
		p.addf(path, "give %s or %s_file, not both", path[strings.LastIndex(path, ".")+1:], path[strings.LastIndex(path, ".")+1:])
	case file == "" && inline == "" && required:
		p.addf(path, "required: set %s_file (a PEM or base64 file) or %s", path[strings.LastIndex(path, ".")+1:], path[strings.LastIndex(path, ".")+1:])
	}
}

func (c *Config) validateAdvance(p *problems) {
	a := c.Providers.Advance
	const path = "providers.advance"
	if u, ok := checkHTTPURL(p, path+".base_url", a.BaseURL); ok {
		if u.RawQuery != "" || u.ForceQuery || strings.Contains(a.BaseURL, "#") {
			p.addf(path+".base_url", "must not have a query or fragment (got %s)", u.Redacted())
		}
		if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
			p.addf(path+".base_url", "plain http is only allowed to a loopback host (localhost, 127.0.0.0/8, ::1): elsewhere the access and secret keys would travel in clear; use https (got %s)", u.Redacted())
		}
	}
	if !c.credentialsOptional {
		checkKey(p, path+".access_key", a.AccessKey)
		checkKey(p, path+".secret_key", a.SecretKey)
	}
	switch t := strings.ToUpper(a.ReturnImageType); t {
	case ReturnImageTypeURL, ReturnImageTypeBase64:
		a.ReturnImageType = t
	default:
		p.addf(path+".return_image_type", "must be %s or %s (got %q)", ReturnImageTypeURL, ReturnImageTypeBase64, a.ReturnImageType)
	}
	positive(p, path+".timeout", a.Timeout)
	between(p, path+".token_period", a.TokenPeriod, minTokenPeriod, maxTokenPeriod)
	if a.MaxResponseBytes < minMaxResponseBytes {
		p.addf(path+".max_response_bytes", "must be >= %d (64 KiB) (got %d)", minMaxResponseBytes, a.MaxResponseBytes)
	}
}

// checkKey requires a provider credential.
func checkKey(p *problems, path string, s Secret) {
	switch {
	case s == "":
		p.addf(path, "required")
	case strings.TrimSpace(string(s)) != string(s):
		p.addf(path, "has leading or trailing white space")
	}
}

func (c *Config) validatePolling(p *problems) {
	const path = "polling."
	pl := c.Polling
	atLeast(p, path+"first_delay", pl.FirstDelay, 0)
	positive(p, path+"initial_interval", pl.InitialInterval)
	if pl.MaxInterval < pl.InitialInterval {
		p.addf(path+"max_interval", "must be >= polling.initial_interval (%s) (got %s)", pl.InitialInterval, pl.MaxInterval)
	}
	if !(pl.Multiplier >= 1) || math.IsInf(pl.Multiplier, 1) {
		p.addf(path+"multiplier", "must be a finite number >= 1 (got %v)", pl.Multiplier)
	}
	if !(pl.Jitter >= 0 && pl.Jitter <= 1) {
		p.addf(path+"jitter", "must be between 0 and 1 (got %v)", pl.Jitter)
	}
	if pl.MaxAge <= pl.InitialInterval {
		p.addf(path+"max_age", "must be longer than polling.initial_interval (%s) (got %s)", pl.InitialInterval, pl.MaxAge)
	}
	positive(p, path+"error_initial_interval", pl.ErrorInitialInterval)
	positive(p, path+"attempt_timeout", pl.AttemptTimeout)
	// One attempt may fetch a token and then call get-result, and refresh
	// the token and call again on IAM_FAILED: leave room for that.
	if a := c.Providers.Advance; a != nil && a.Timeout > 0 && pl.AttemptTimeout > 0 && pl.AttemptTimeout < 2*a.Timeout+10*time.Second {
		p.addf(path+"attempt_timeout", "must be at least twice providers.advance.timeout plus 10s (%s), so a poll can fetch a token and the result (got %s)", 2*a.Timeout+10*time.Second, pl.AttemptTimeout)
	}
	if z := c.Providers.Zoloz; z != nil && z.Timeout > 0 && pl.AttemptTimeout > 0 && pl.AttemptTimeout < z.Timeout+10*time.Second {
		p.addf(path+"attempt_timeout", "must be at least providers.zoloz.timeout plus 10s (%s) (got %s)", z.Timeout+10*time.Second, pl.AttemptTimeout)
	}
}

func (c *Config) validateSinks(p *problems) {
	names := c.SinkNames()
	if len(names) == 0 {
		p.addf("sinks", "at least one sink is required")
	}
	for _, name := range names {
		c.validateSink(p, name, c.Sinks[name])
	}
	configured := strings.Join(names, ", ")
	if configured == "" {
		configured = "none"
	}
	switch _, ok := c.Sinks[c.DefaultSink]; {
	case c.DefaultSink == "" && len(names) > 1:
		p.addf("default_sink", "required when more than one sink is configured (configured: %s)", configured)
	case c.DefaultSink != "" && !ok:
		p.addf("default_sink", "names no configured sink (got %q; configured: %s)", c.DefaultSink, configured)
	}
}

func (c *Config) validateSink(p *problems, name string, s Sink) {
	path := "sinks." + name
	if !sinkNamePattern.MatchString(name) {
		p.addf(path, "sink name must match %s (got %q)", sinkNamePattern, name)
	}
	switch s.Type {
	case SinkTypeWebhook:
		checkHTTPURL(p, path+".url", s.URL)
		if s.Secret == "" {
			p.addf(path+".secret", "required")
		} else if _, err := stdwebhook.ParseSecret(string(s.Secret)); err != nil {
			p.addf(path+".secret", "%v", err)
		}
		for i, sec := range s.Secrets {
			// Empty entries are skipped, so that an optional rotation
			// secret can be written as ${OLD_SECRET:-}.
			if sec == "" {
				continue
			}
			if _, err := stdwebhook.ParseSecret(string(sec)); err != nil {
				p.addf(fmt.Sprintf("%s.secrets[%d]", path, i), "%v", err)
			}
		}
	case SinkTypeRedisStream:
		if s.Stream == "" {
			p.addf(path+".stream", "required: the stream's key")
		}
		if s.MaxLen < 0 {
			p.addf(path+".maxlen", "must be >= 0 (got %d)", s.MaxLen)
		}
		if s.Redis != nil {
			validateRedisSection(p, path+".redis", *s.Redis)
		}
	case SinkTypeNATS:
		checkURLScheme(p, path+".url", s.URL, "nats", "tls")
		switch {
		case s.Subject == "":
			p.addf(path+".subject", "required")
		case strings.ContainsAny(s.Subject, "*> \t"):
			p.addf(path+".subject", "must be a literal subject, without wildcards or spaces (got %q)", s.Subject)
		}
		atLeast(p, path+".duplicate_window", s.DuplicateWindow, 0)
	case SinkTypeAMQP:
		checkURLScheme(p, path+".url", s.URL, "amqp", "amqps")
		if s.Exchange == "" && s.RoutingKey == "" {
			p.addf(path+".routing_key", "required with the default exchange (it names the queue)")
		}
	case SinkTypeFanout:
		c.validateFanout(p, path, s)
		return
	case "":
		p.addf(path+".type", "required; supported types: %s", supportedSinkTypes)
		return
	default:
		p.addf(path+".type", "unsupported sink type (got %q); supported types: %s", s.Type, supportedSinkTypes)
		return
	}
	switch s.Format {
	case "", FormatDefault, FormatCloudEvents:
	default:
		p.addf(path+".format", "must be %s or %s (got %q)", FormatDefault, FormatCloudEvents, s.Format)
	}
	positive(p, path+".timeout", s.Timeout)
	if len(s.RetrySchedule) > maxRetryScheduleLen {
		p.addf(path+".retry_schedule", "at most %d entries (got %d)", maxRetryScheduleLen, len(s.RetrySchedule))
	}
	for i, d := range s.RetrySchedule {
		atLeast(p, fmt.Sprintf("%s.retry_schedule[%d]", path, i), d, 0)
	}
}

var supportedSinkTypes = strings.Join([]string{SinkTypeWebhook, SinkTypeRedisStream, SinkTypeNATS, SinkTypeAMQP, SinkTypeFanout}, ", ")

func (c *Config) validateFanout(p *problems, path string, s Sink) {
	if len(s.Targets) == 0 {
		p.addf(path+".targets", "a fanout sink needs at least one target")
	}
	seen := map[string]bool{}
	for i, t := range s.Targets {
		tp := fmt.Sprintf("%s.targets[%d]", path, i)
		target, ok := c.Sinks[t]
		switch {
		case !ok:
			p.addf(tp, "names no configured sink (got %q)", t)
		case target.Type == SinkTypeFanout:
			p.addf(tp, "names another fanout sink (%q); list its targets instead", t)
		case seen[t]:
			p.addf(tp, "lists %q twice", t)
		}
		seen[t] = true
	}
}

// checkURLScheme checks that raw is an absolute URL with a host and one of
// the schemes. Errors never repeat the URL: it may hold a password.
func checkURLScheme(p *problems, path, raw string, schemes ...string) {
	if raw == "" {
		p.addf(path, "required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		p.addf(path, "must be an absolute URL with a host")
		return
	}
	if !slices.Contains(schemes, u.Scheme) {
		p.addf(path, "scheme must be one of %s (got %q)", strings.Join(schemes, ", "), u.Scheme)
	}
}

func (c *Config) validateWorker(p *problems) {
	w := c.Worker
	if w.Concurrency < 1 || w.Concurrency > maxConcurrency {
		p.addf("worker.concurrency", "must be 1 to %d (got %d)", maxConcurrency, w.Concurrency)
	}
	positive(p, "worker.shutdown_timeout", w.ShutdownTimeout)
	for _, q := range []struct {
		path  string
		queue Queue
	}{
		{"worker.queues.poll", w.Queues.Poll},
		{"worker.queues.delivery", w.Queues.Delivery},
	} {
		switch {
		case q.queue.Name == "":
			p.addf(q.path+".name", "required")
		case !queueNamePattern.MatchString(q.queue.Name):
			p.addf(q.path+".name", "must match %s (got %q)", queueNamePattern, q.queue.Name)
		}
		if q.queue.Weight < 1 || q.queue.Weight > maxQueueWeight {
			p.addf(q.path+".weight", "must be 1 to %d (got %d)", maxQueueWeight, q.queue.Weight)
		}
	}
	if n := w.Queues.Delivery.Name; n != "" && n == w.Queues.Poll.Name {
		p.addf("worker.queues.delivery.name", "must differ from worker.queues.poll.name (got %q)", n)
	}
	if w.Retention < minWorkerRetention {
		p.addf("worker.retention", "must be >= %s (got %s)", minWorkerRetention, w.Retention)
	}
	between(p, "worker.delayed_task_check_interval", w.DelayedTaskCheckInterval, minCheckInterval, maxCheckInterval)
	between(p, "worker.task_check_interval", w.TaskCheckInterval, minCheckInterval, maxCheckInterval)
}

func (c *Config) validateEvents(p *problems) {
	c.validateEventKeys(p)
	r := c.Events.Retention
	if r < minEventRetention {
		p.addf("events.retention", "must be >= %s (got %s)", minEventRetention, r)
	}
	for _, name := range c.SinkNames() {
		var total time.Duration
		for _, d := range c.Sinks[name].RetrySchedule {
			total += d
		}
		if r <= total {
			p.addf("events.retention", "must be longer than the total retry_schedule of sink %q (%s), so that an event outlives its last delivery retry (got %s)", name, total, r)
		}
	}
}

// checkHostPort requires host:port with a numeric port; the host may be
// empty (all interfaces) unless needHost.
func checkHostPort(p *problems, path, addr string, needHost bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.addf(path, "want host:port (got %q)", addr)
		return
	}
	if needHost && host == "" {
		p.addf(path, "want host:port, the host is missing (got %q)", addr)
	}
	lowest := 0
	if needHost {
		lowest = 1
	}
	if n, err := strconv.Atoi(port); err != nil || n < lowest || n > 65535 {
		p.addf(path, "port must be a number from %d to 65535 (got %q)", lowest, addr)
	}
}

// checkHTTPURL requires an absolute http or https URL with a host. Values are
// shown with any password redacted.
func checkHTTPURL(p *problems, path, raw string) (*url.URL, bool) {
	if raw == "" {
		p.addf(path, "required")
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, which may hold a password.
		p.addf(path, "not a valid URL")
		return nil, false
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		p.addf(path, "want an absolute http or https URL with a host (got %s)", u.Redacted())
		return nil, false
	}
	return u, true
}

// IsLoopback reports whether host is localhost or a loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func positive(p *problems, path string, d time.Duration) {
	if d <= 0 {
		p.addf(path, "must be > 0 (got %s)", d)
	}
}

func atLeast(p *problems, path string, d, lo time.Duration) {
	if d < lo {
		p.addf(path, "must be >= %s (got %s)", lo, d)
	}
}

func between(p *problems, path string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		p.addf(path, "must be between %s and %s (got %s)", lo, hi, d)
	}
}

// ProviderConfigured reports whether the named provider has a section.
func (c *Config) ProviderConfigured(name string) bool {
	switch name {
	case verification.ProviderAdvance:
		return c.Providers.Advance != nil
	case verification.ProviderZoloz:
		return c.Providers.Zoloz != nil
	}
	return false
}

// SinkNames returns the configured sink names, sorted.
func (c *Config) SinkNames() []string {
	return slices.Sorted(maps.Keys(c.Sinks))
}

// SigningSecrets returns the secrets that sign each delivery: Secret, then
// every non-empty entry of Secrets.
func (s Sink) SigningSecrets() []string {
	out := make([]string, 0, 1+len(s.Secrets))
	if s.Secret != "" {
		out = append(out, string(s.Secret))
	}
	for _, sec := range s.Secrets {
		if sec != "" {
			out = append(out, string(sec))
		}
	}
	return out
}

// Targets resolves a sink name to the delivery targets it stands for: the
// targets of a fanout sink, or the sink itself.
func (c *Config) Targets(sink string) []string {
	if s, ok := c.Sinks[sink]; ok && s.Type == SinkTypeFanout {
		return s.Targets
	}
	return []string{sink}
}

// IncludesResult reports whether the sink's body carries the provider's
// result.
func (s Sink) IncludesResult() bool { return s.IncludeResult == nil || *s.IncludeResult }
