package config

import "strings"

// Dashboard is the asynq web UI (asynqmon) served at /monitoring/ on
// http.addr.
type Dashboard struct {
	// Enabled serves the dashboard (default true).
	Enabled *bool `yaml:"enabled"`
	// ReadOnly refuses every request that would change a task or queue
	// (default true). Turning it off requires basic_auth or bearer_token.
	ReadOnly *bool `yaml:"read_only"`
	// BasicAuth, when its username is set, requires HTTP Basic credentials.
	BasicAuth DashboardBasicAuth `yaml:"basic_auth"`
	// BearerToken, when set, is accepted as "Authorization: Bearer TOKEN".
	BearerToken Secret `yaml:"bearer_token"`
}

// DashboardBasicAuth is one user name and password.
type DashboardBasicAuth struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// IsEnabled reports whether the dashboard is served.
func (d Dashboard) IsEnabled() bool { return d.Enabled == nil || *d.Enabled }

// IsReadOnly reports whether changes through the dashboard are refused.
func (d Dashboard) IsReadOnly() bool { return d.ReadOnly == nil || *d.ReadOnly }

// HasAuth reports whether requests must authenticate.
func (d Dashboard) HasAuth() bool { return d.BasicAuth.Username != "" || d.BearerToken != "" }

// applyDashboardDefaults makes enabled and read_only explicit.
func (c *Config) applyDashboardDefaults() {
	d := &c.HTTP.Dashboard
	if d.Enabled == nil {
		yes := true
		d.Enabled = &yes
	}
	if d.ReadOnly == nil {
		yes := true
		d.ReadOnly = &yes
	}
}

// validateDashboard checks the credentials and that writes are never open
// to anonymous callers. Errors never show a password or token.
func (c *Config) validateDashboard(p *problems) {
	const path = "http.dashboard"
	d := c.HTTP.Dashboard
	b := d.BasicAuth
	switch {
	case b.Username == "" && b.Password != "":
		p.addf(path+".basic_auth.username", "is required with basic_auth.password")
	case b.Username != "" && b.Password == "":
		p.addf(path+".basic_auth.password", "is required with basic_auth.username")
	case strings.Contains(b.Username, ":"):
		p.addf(path+".basic_auth.username", "must not contain a colon (got %q)", b.Username)
	}
	if b.Password != "" && len(b.Password) < minAPITokenBytes {
		p.addf(path+".basic_auth.password", "must be at least %d bytes", minAPITokenBytes)
	}
	if d.BearerToken != "" {
		checkToken(p, path+".bearer_token", d.BearerToken)
	}
	if d.IsEnabled() && !d.IsReadOnly() && !d.HasAuth() {
		p.addf(path+".read_only", "false needs basic_auth or bearer_token: the dashboard can delete, run and archive tasks")
	}
}
