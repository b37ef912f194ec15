package redisconn

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/config"
)

// New returns a client for the topology cfg describes: a plain client for
// addr or url (redis://, rediss://), a failover client that follows the
// master Sentinel names, or a cluster client. asynq takes any of them
// (NewServerFromRedisClient and friends); it keeps each queue's keys in one
// hash slot with {queue} tags, so a cluster needs nothing more.
//
// Errors name the configuration key at fault and never repeat the url.
func New(cfg config.Redis, poolSize int) (redis.UniversalClient, error) {
	tlsConf, err := tlsConfig(cfg.TLS, cfg.TLSOn())
	if err != nil {
		return nil, err
	}
	if cfg.TLS.InsecureSkipVerify {
		warn("redis.tls.insecure_skip_verify is true: the Redis server's certificate is not checked")
	}
	switch cfg.Topology() {
	case "sentinel":
		s := cfg.Sentinel
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName:       s.MasterName,
			SentinelAddrs:    s.Addrs,
			SentinelUsername: s.Username,
			SentinelPassword: string(s.Password),
			Username:         cfg.Username,
			Password:         string(cfg.Password),
			DB:               cfg.DB,
			DialTimeout:      cfg.DialTimeout,
			ReadTimeout:      cfg.ReadTimeout,
			WriteTimeout:     cfg.WriteTimeout,
			PoolSize:         poolSize,
			TLSConfig:        tlsConf,
		}), nil
	case "cluster":
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:        cfg.Cluster.Addrs,
			Username:     cfg.Username,
			Password:     string(cfg.Password),
			DialTimeout:  cfg.DialTimeout,
			ReadTimeout:  cfg.ReadTimeout,
			WriteTimeout: cfg.WriteTimeout,
			PoolSize:     poolSize,
			TLSConfig:    tlsConf,
		}), nil
	}
	opts := &redis.Options{Addr: cfg.Addr}
	if cfg.URL != "" {
		if opts, err = redis.ParseURL(string(cfg.URL)); err != nil {
			return nil, errors.New("redis.url: not a valid redis:// or rediss:// URL")
		}
	}
	// The url's own user, password and database win; the keys fill in what
	// it leaves out (validation rejects giving both).
	opts.Username = cmp.Or(opts.Username, cfg.Username)
	opts.Password = cmp.Or(opts.Password, string(cfg.Password))
	opts.DB = cmp.Or(opts.DB, cfg.DB)
	opts.DialTimeout = cmp.Or(cfg.DialTimeout, opts.DialTimeout)
	opts.ReadTimeout = cmp.Or(cfg.ReadTimeout, opts.ReadTimeout)
	opts.WriteTimeout = cmp.Or(cfg.WriteTimeout, opts.WriteTimeout)
	opts.PoolSize = poolSize
	if tlsConf != nil {
		if opts.TLSConfig != nil && tlsConf.ServerName == "" {
			// rediss:// names the url's host.
			tlsConf.ServerName = opts.TLSConfig.ServerName
		}
		opts.TLSConfig = tlsConf
	}
	return redis.NewClient(opts), nil
}

// tlsConfig builds the TLS configuration, or nil when TLS is off.
func tlsConfig(t config.RedisTLS, on bool) (*tls.Config, error) {
	if !on {
		return nil, nil
	}
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // explicit opt-in, warned about
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis.tls.ca_file: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis.tls.ca_file: no PEM certificate in %s", t.CAFile)
		}
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("redis.tls.cert_file, key_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// failing returns a client whose every command fails with err.
func failing(err error) redis.UniversalClient {
	return redis.NewClient(&redis.Options{
		Addr:       "unusable:0",
		MaxRetries: -1,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return nil, err
		},
	})
}

// warnLog receives warnings about the configuration; set by RouteLogs.
var warnLog atomic.Pointer[zap.Logger]

func warn(msg string) {
	if l := warnLog.Load(); l != nil {
		l.Warn(msg)
	}
}
