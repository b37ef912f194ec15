package config

import (
	"strings"
	"testing"
)

// Each topology loads from YAML, and addr is defaulted only when no other
// topology is chosen.
func TestRedisTopologiesLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, topology, addr string
		tls                        bool
	}{
		{"default", ``, "standalone", DefaultRedisAddr, false},
		{"addr with tls", `
redis:
  addr: redis.internal:6380
  tls: {enabled: true, ca_file: /etc/ca.pem, server_name: redis.internal}
`, "standalone", "redis.internal:6380", true},
		{"url", `
redis: {url: "redis://kyc:pw@redis.internal:6379/2"}
`, "standalone", "", false},
		{"rediss url", `
redis:
  url: "rediss://redis.internal:6380"
  password: ${REDIS_PASSWORD}
  tls: {ca_file: /etc/ca.pem}
`, "standalone", "", true},
		{"sentinel", `
redis:
  password: ${REDIS_PASSWORD}
  db: 3
  sentinel:
    master_name: kyc
    addrs: [s0:26379, s1:26379, s2:26379]
    password: ${REDIS_PASSWORD}
`, "sentinel", "", false},
		{"sentinel over tls", `
redis:
  tls: {enabled: true}
  sentinel: {master_name: kyc, addrs: ["s0:26379"]}
`, "sentinel", "", true},
		{"cluster", `
redis:
  cluster: {addrs: [n0:6379, n1:6379, n2:6379]}
`, "cluster", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseWith(minimalYAML+tt.yaml, map[string]string{"REDIS_PASSWORD": "sensitive-redis"})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			r := c.Redis
			if r.Topology() != tt.topology || r.Addr != tt.addr || r.TLSOn() != tt.tls {
				t.Errorf("topology %s, addr %q, tls %v; want %s, %q, %v", r.Topology(), r.Addr, r.TLSOn(), tt.topology, tt.addr, tt.tls)
			}
			noSecrets(t, c.Dump(), "sensitive-redis", "kyc:pw")
		})
	}
}

// Conflicting or incomplete topologies are rejected with the keys at fault
// named, and a URL is never repeated in an error.
func TestRedisTopologiesRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"addr and url", `
redis: {addr: "r:6379", url: "redis://r:6379"}
`, []string{"redis: addr, url, sentinel and cluster are mutually exclusive: set only one (got addr and url)"}},
		{"url and sentinel", `
redis:
  url: "redis://r:6379"
  sentinel: {master_name: kyc, addrs: ["s:26379"]}
`, []string{"(got url and sentinel)"}},
		{"sentinel and cluster", `
redis:
  sentinel: {master_name: kyc, addrs: ["s:26379"]}
  cluster: {addrs: ["n:6379"]}
`, []string{"(got sentinel and cluster)"}},
		{"sentinel without master", `
redis: {sentinel: {addrs: ["s:26379"]}}
`, []string{"redis.sentinel.master_name: required"}},
		{"sentinel without addrs", `
redis: {sentinel: {master_name: kyc}}
`, []string{"redis.sentinel.addrs: at least one host:port is required"}},
		{"sentinel bad addr", `
redis: {sentinel: {master_name: kyc, addrs: ["s:26379", "s"]}}
`, []string{`redis.sentinel.addrs[1]: want host:port (got "s")`}},
		{"cluster db", `
redis: {db: 2, cluster: {addrs: ["n:6379"]}}
`, []string{"redis.db: must be 0 with a cluster"}},
		{"cluster bad addr", `
redis: {cluster: {addrs: [":6379"]}}
`, []string{"redis.cluster.addrs[0]: want host:port, the host is missing"}},
		{"url scheme", `
redis: {url: "http://user:hunter2@r:6379"}
`, []string{`redis.url: scheme must be redis or rediss (TLS) (got "http")`}},
		{"url not a url", `
redis: {url: "redis://user:hunter2@r:port"}
`, []string{"redis.url: not a valid URL"}},
		{"url query", `
redis: {url: "rediss://r:6379?skip_verify=true"}
`, []string{"redis.url: query parameters are not supported"}},
		{"url db twice", `
redis: {url: "redis://r:6379/2", db: 3}
`, []string{"redis.db: conflicts with the database 2 in redis.url"}},
		{"url password twice", `
redis: {url: "redis://u:hunter2@r:6379", password: "x"}
`, []string{"redis.password: conflicts with the password in redis.url"}},
		{"redis url with tls", `
redis: {url: "redis://r:6379", tls: {enabled: true}}
`, []string{"redis.tls.enabled: conflicts with a redis:// url: use rediss:// for TLS"}},
		{"tls keys without tls", `
redis: {tls: {ca_file: /ca.pem, insecure_skip_verify: true}}
`, []string{"redis.tls: ca_file, insecure_skip_verify set but TLS is off"}},
		{"client cert without key", `
redis: {tls: {enabled: true, cert_file: /c.pem}}
`, []string{"redis.tls: cert_file and key_file go together"}},
		{"insecure with ca", `
redis: {tls: {enabled: true, ca_file: /ca.pem, insecure_skip_verify: true}}
`, []string{"redis.tls.insecure_skip_verify: true disables the checks"}},
		{"sink redis conflicts", `
    type: redis_stream
    stream: s
    redis: {addr: "r:6379", cluster: {addrs: ["n:6379"]}}
`, []string{"sinks.main.redis: addr, url, sentinel and cluster are mutually exclusive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text := minimalYAML + tt.yaml
			if strings.HasPrefix(tt.yaml, "\n    type:") {
				// Override the sink's type: the last key wins in a
				// rewritten sink section.
				text = strings.Replace(minimalYAML, "    type: webhook\n    url: https://hooks.example.com/kyc\n    secret: ${WEBHOOK_SECRET}\n", strings.TrimPrefix(tt.yaml, "\n"), 1)
			}
			_, err := parseWith(text, nil)
			wantErr(t, err, tt.want...)
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error repeats the url's password: %v", err)
			}
		})
	}
}

// The redis_stream sink's own Redis takes every topology too.
func TestSinkRedisTopology(t *testing.T) {
	t.Parallel()
	text := strings.Replace(minimalYAML, "    type: webhook\n    url: https://hooks.example.com/kyc\n    secret: ${WEBHOOK_SECRET}\n",
		"    type: redis_stream\n    stream: kyc\n    redis: {sentinel: {master_name: events, addrs: [\"s:26379\"]}}\n", 1)
	c, err := parseWith(text, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Sinks["main"].Redis
	if r.Topology() != "sentinel" || r.Addr != "" {
		t.Errorf("sink redis: topology %s, addr %q; want sentinel and no default addr", r.Topology(), r.Addr)
	}
}
