package config

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// API is the HTTP enqueue API. It is served only when at least one token is
// configured.
type API struct {
	// Addr is the API's own listener (host:port); empty mounts the API on
	// http.addr.
	Addr string `yaml:"addr"`
	// Tokens are the accepted bearer tokens; any one of them authenticates a
	// request. Empty entries are ignored; none disables the API.
	Tokens []Secret `yaml:"tokens"`
}

// Enabled reports whether the API is served.
func (a API) Enabled() bool { return len(a.Tokens) > 0 }

// Callbacks configures the providers' result callbacks, which only make a
// verification's next poll happen now.
type Callbacks struct {
	Advance AdvanceCallback `yaml:"advance"`
}

// AdvanceCallback is ADVANCE.AI's callback: it carries no signature, so
// its URL carries a token of ours.
type AdvanceCallback struct {
	// Token must be the callback URL's token query parameter; empty
	// disables the callback endpoint.
	Token Secret `yaml:"token"`
}

// RateLimit bounds the calls to one provider across every worker process.
type RateLimit struct {
	// RPS is the sustained rate, in requests per second; 0 means no limit.
	RPS float64 `yaml:"rps"`
	// Burst is how many requests may go at once above the rate; 0 means 1.
	Burst int `yaml:"burst"`
	// RescheduleOnly makes a poll whose turn has not come always go back to
	// the queue. By default a poll whose turn is less than a second away
	// waits for it in its worker slot: asynq schedules retries in whole
	// seconds, so rescheduling alone cannot pace calls within a second and
	// reaches only a third to a half of RPS.
	RescheduleOnly bool `yaml:"reschedule_only"`
}

// Enabled reports whether the limit applies.
func (r RateLimit) Enabled() bool { return r.RPS > 0 }

// minAPITokenBytes is the shortest accepted API or callback token.
const minAPITokenBytes = 16

// applyAPIDefaults drops empty tokens, so that an optional token written as
// ${VAR:-} is harmless.
func (c *Config) applyAPIDefaults() {
	c.API.Tokens = slices.DeleteFunc(c.API.Tokens, func(s Secret) bool { return s == "" })
	if len(c.API.Tokens) == 0 {
		c.API.Tokens = nil
	}
}

func (c *Config) validateAPI(p *problems) {
	if c.API.Addr != "" {
		checkHostPort(p, "api.addr", c.API.Addr, false)
		if c.API.Addr == c.HTTP.Addr {
			p.addf("api.addr", "must differ from http.addr, or be empty to share it (got %q)", c.API.Addr)
		}
	}
	for i, t := range c.API.Tokens {
		checkToken(p, fmt.Sprintf("api.tokens[%d]", i), t)
	}
	if t := c.Callbacks.Advance.Token; t != "" {
		checkToken(p, "callbacks.advance.token", t)
	}
	if a := c.Providers.Advance; a != nil {
		checkRateLimit(p, "providers.advance.rate_limit", a.RateLimit)
	}
	if z := c.Providers.Zoloz; z != nil {
		checkRateLimit(p, "providers.zoloz.rate_limit", z.RateLimit)
	}
}

// checkToken requires a long enough token without white space. Errors
// never show the token.
func checkToken(p *problems, path string, s Secret) {
	switch {
	case len(s) < minAPITokenBytes:
		p.addf(path, "must be at least %d bytes", minAPITokenBytes)
	case strings.ContainsFunc(string(s), func(r rune) bool { return r <= ' ' || r == 0x7f }):
		p.addf(path, "must not contain white space or control characters")
	}
}

func checkRateLimit(p *problems, path string, r RateLimit) {
	if !(r.RPS >= 0) || math.IsInf(r.RPS, 1) || r.RPS > 1e6 {
		p.addf(path+".rps", "must be 0 (no limit) to 1000000 (got %v)", r.RPS)
	}
	if r.Burst < 0 || r.Burst > 1e6 {
		p.addf(path+".burst", "must be 0 to 1000000 (got %d)", r.Burst)
	}
}
