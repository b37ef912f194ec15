package config

import (
	"cmp"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// RedisTLS configures TLS to Redis (and to Sentinel). It is on when Enabled
// is true or the url's scheme is rediss.
type RedisTLS struct {
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the CAs trusted for the server's
	// certificate; empty trusts the system's roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and key, for servers
	// that require one (tls-auth-clients yes).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name checked in the server's certificate; empty
	// uses the host being dialled.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify turns off every check of the server's certificate.
	// For tests only: it is logged as a warning at start-up.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// RedisSentinel selects a master through Redis Sentinel; the connection
// follows failovers. Redis.Username and Redis.Password authenticate to the
// master and replicas, Username and Password here to the sentinels.
type RedisSentinel struct {
	MasterName string   `yaml:"master_name"`
	Addrs      []string `yaml:"addrs"`
	Username   string   `yaml:"username"`
	Password   Secret   `yaml:"password"`
}

// RedisCluster connects to a Redis Cluster through any of its nodes.
type RedisCluster struct {
	Addrs []string `yaml:"addrs"`
}

// Configured reports whether the sentinel section is in use.
func (s RedisSentinel) Configured() bool {
	return s.MasterName != "" || len(s.Addrs) > 0 || s.Username != "" || s.Password != ""
}

// Configured reports whether the cluster section is in use.
func (c RedisCluster) Configured() bool { return len(c.Addrs) > 0 }

// Topology names the connection the section describes: "standalone" (addr
// or url), "sentinel" or "cluster".
func (r Redis) Topology() string {
	switch {
	case r.Sentinel.Configured():
		return "sentinel"
	case r.Cluster.Configured():
		return "cluster"
	}
	return "standalone"
}

// TLSOn reports whether connections use TLS.
func (r Redis) TLSOn() bool {
	return r.TLS.Enabled || strings.HasPrefix(strings.ToLower(string(r.URL)), "rediss:")
}

// applyDefaults fills addr only when no other topology is chosen, so that
// url, sentinel and cluster never conflict with a default.
func (r *Redis) applyDefaults() {
	if r.URL == "" && r.Topology() == "standalone" {
		r.Addr = cmp.Or(r.Addr, DefaultRedisAddr)
	}
}

// validateRedisSection checks a redis section found at path (redis, or a
// redis_stream sink's redis).
func validateRedisSection(p *problems, path string, r Redis) {
	var chosen []string
	if r.Addr != "" {
		chosen = append(chosen, "addr")
	}
	if r.URL != "" {
		chosen = append(chosen, "url")
	}
	if r.Sentinel.Configured() {
		chosen = append(chosen, "sentinel")
	}
	if r.Cluster.Configured() {
		chosen = append(chosen, "cluster")
	}
	switch len(chosen) {
	case 0:
		p.addf(path, "set one of addr, url, sentinel or cluster")
	case 1:
	default:
		p.addf(path, "addr, url, sentinel and cluster are mutually exclusive: set only one (got %s)", strings.Join(chosen, " and "))
	}
	if r.Addr != "" {
		checkHostPort(p, path+".addr", r.Addr, true)
	}
	if r.URL != "" {
		checkRedisURL(p, path, r)
	}
	if r.Sentinel.Configured() {
		s := r.Sentinel
		if s.MasterName == "" {
			p.addf(path+".sentinel.master_name", "required: the name the sentinels monitor the master under")
		}
		checkAddrs(p, path+".sentinel.addrs", s.Addrs)
	}
	if r.Cluster.Configured() {
		checkAddrs(p, path+".cluster.addrs", r.Cluster.Addrs)
		if r.DB != 0 {
			p.addf(path+".db", "must be 0 with a cluster, which has only database 0 (got %d)", r.DB)
		}
	}
	if r.DB < 0 {
		p.addf(path+".db", "must be >= 0 (got %d)", r.DB)
	}
	atLeast(p, path+".dial_timeout", r.DialTimeout, 0)
	atLeast(p, path+".read_timeout", r.ReadTimeout, 0)
	atLeast(p, path+".write_timeout", r.WriteTimeout, 0)
	validateRedisTLS(p, path, r)
}

func checkAddrs(p *problems, path string, addrs []string) {
	if len(addrs) == 0 {
		p.addf(path, "at least one host:port is required")
	}
	for i, a := range addrs {
		checkHostPort(p, fmt.Sprintf("%s[%d]", path, i), a, true)
	}
}

// checkRedisURL checks redis.url without ever repeating it: it may hold a
// password.
func checkRedisURL(p *problems, path string, r Redis) {
	u, err := url.Parse(string(r.URL))
	if err != nil {
		p.addf(path+".url", "not a valid URL")
		return
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		p.addf(path+".url", "scheme must be redis or rediss (TLS) (got %q)", u.Scheme)
		return
	}
	if u.Hostname() == "" {
		p.addf(path+".url", "the host is missing")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			p.addf(path+".url", "port must be a number from 1 to 65535 (got %q)", port)
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			p.addf(path+".url", "the path must be a database number (got %q)", db)
		} else if r.DB != 0 && r.DB != n {
			p.addf(path+".db", "conflicts with the database %d in %s.url: give it once", n, path)
		}
	}
	if u.RawQuery != "" {
		p.addf(path+".url", "query parameters are not supported: use the keys of %s (timeouts, tls)", path)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok && r.Password != "" {
			p.addf(path+".password", "conflicts with the password in %s.url: give it once", path)
		}
		if u.User.Username() != "" && r.Username != "" {
			p.addf(path+".username", "conflicts with the user name in %s.url: give it once", path)
		}
	}
	if u.Scheme == "redis" && r.TLS.Enabled {
		p.addf(path+".tls.enabled", "conflicts with a redis:// url: use rediss:// for TLS")
	}
}

func validateRedisTLS(p *problems, path string, r Redis) {
	t := r.TLS
	path += ".tls"
	if !r.TLSOn() {
		var set []string
		for _, f := range []struct {
			key string
			on  bool
		}{
			{"ca_file", t.CAFile != ""},
			{"cert_file", t.CertFile != ""},
			{"key_file", t.KeyFile != ""},
			{"server_name", t.ServerName != ""},
			{"insecure_skip_verify", t.InsecureSkipVerify},
		} {
			if f.on {
				set = append(set, f.key)
			}
		}
		if len(set) > 0 {
			p.addf(path, "%s set but TLS is off: set %s.enabled: true (or use a rediss:// url)", strings.Join(set, ", "), path)
		}
		return
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		p.addf(path, "cert_file and key_file go together (a client certificate and its key)")
	}
	if t.InsecureSkipVerify && (t.CAFile != "" || t.ServerName != "") {
		p.addf(path+".insecure_skip_verify", "true disables the checks that ca_file and server_name configure: remove one or the other")
	}
}
