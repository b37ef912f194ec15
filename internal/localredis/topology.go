package localredis

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// TLSFiles are the PEM files of a TLS-only server. The certificate should
// name 127.0.0.1 (an IP SAN): the server listens there, and Start checks it
// answers over TLS trusting CAFile.
type TLSFiles struct {
	CertFile string
	KeyFile  string
	CAFile   string
	// AuthClients requires client certificates signed by CAFile.
	AuthClients bool
}

// SentinelOptions configure a sentinel monitoring one master.
type SentinelOptions struct {
	MasterName string
	// MasterAddr is the master's host:port when the sentinel first starts.
	MasterAddr string
	// Quorum is the number of sentinels that must agree the master is down
	// (default 1).
	Quorum int
	// DownAfter is how long the master may be silent before it is
	// considered down (default 1s).
	DownAfter time.Duration
	// FailoverTimeout bounds one failover attempt (default 5s).
	FailoverTimeout time.Duration
}

// args returns redis-server's command line for a server on port.
func (s *Server) args(port int, opts Options) ([]string, error) {
	var args []string
	if opts.Sentinel != nil {
		// The sentinel rewrites its configuration file: write it once, and
		// keep the sentinel's own version across Restart.
		conf := filepath.Join(s.Dir, "sentinel.conf")
		if _, err := os.Stat(conf); errors.Is(err, os.ErrNotExist) {
			if err := os.WriteFile(conf, []byte(opts.Sentinel.config()), 0o600); err != nil {
				return nil, fmt.Errorf("write sentinel.conf: %w", err)
			}
		}
		args = append(args, conf, "--sentinel")
	}
	if t := opts.TLS; t != nil {
		args = append(args, "--port", "0", "--tls-port", strconv.Itoa(port),
			"--tls-cert-file", t.CertFile, "--tls-key-file", t.KeyFile, "--tls-ca-cert-file", t.CAFile,
			"--tls-auth-clients", map[bool]string{true: "yes", false: "no"}[t.AuthClients])
	} else {
		args = append(args, "--port", strconv.Itoa(port))
	}
	args = append(args,
		"--bind", "127.0.0.1",
		"--dir", s.Dir,
		"--daemonize", "no",
		"--logfile", filepath.Join(s.Dir, "redis.log"),
		"--protected-mode", "yes",
	)
	if opts.Sentinel == nil {
		args = append(args, "--save", "")
		if opts.AppendOnly {
			args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
		} else {
			args = append(args, "--appendonly", "no")
		}
	}
	if opts.ReplicaOf != "" {
		host, port, err := net.SplitHostPort(opts.ReplicaOf)
		if err != nil {
			return nil, fmt.Errorf("ReplicaOf: %w", err)
		}
		args = append(args, "--replicaof", host, port)
	}
	return append(args, opts.Args...), nil
}

func (o SentinelOptions) config() string {
	host, port, _ := net.SplitHostPort(o.MasterAddr)
	name := cmp.Or(o.MasterName, "mymaster")
	return fmt.Sprintf("sentinel monitor %s %s %s %d\n"+
		"sentinel down-after-milliseconds %s %d\n"+
		"sentinel failover-timeout %s %d\n"+
		"sentinel parallel-syncs %s 1\n",
		name, host, port, cmp.Or(o.Quorum, 1),
		name, cmp.Or(o.DownAfter, time.Second).Milliseconds(),
		name, cmp.Or(o.FailoverTimeout, 5*time.Second).Milliseconds(),
		name)
}

// dial connects to addr, over TLS trusting t.CAFile when t is set.
func dial(addr string, t *TLSFiles) (net.Conn, error) {
	d := &net.Dialer{Timeout: 200 * time.Millisecond}
	if t == nil {
		return d.Dial("tcp", addr)
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	conf := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if t.AuthClients {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, err
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return tls.DialWithDialer(d, "tcp", addr, conf)
}
