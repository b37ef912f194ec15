// Package sandbox runs kycpoller's surroundings on one machine: a private
// redis-server, the fake ADVANCE.AI and a webhook receiver, all on loopback,
// plus a configuration file pointing the worker at them. The demo and the
// end-to-end tests use it; nothing in it talks to a real provider.
package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/fake/receiver"
	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/localredis"
)

// Options tunes the sandbox.
type Options struct {
	// Dir holds the config file and Redis' files; a temporary directory
	// removed by Close when empty.
	Dir string
	// Redis starts the private Redis with these options (Dir is ignored).
	Redis localredis.Options
	// Advance tunes the fake ADVANCE.AI; its keys are generated.
	Advance advancefake.Options
	// Zoloz tunes the fake ZOLOZ gateway; its keys are generated.
	Zoloz zolozfake.Options
	// OnDelivery is called for each event the receiver accepts.
	OnDelivery func(receiver.Delivery)
	// Config tunes the generated configuration file.
	Config ConfigParams
}

// Sandbox is a running set of local services.
type Sandbox struct {
	Dir        string
	Redis      *localredis.Server
	Advance    *advancefake.Server
	AdvanceURL string
	Zoloz      *zolozfake.Server
	ZolozURL   string
	Receiver   *receiver.Receiver
	WebhookURL string
	// ConfigPath is a worker configuration file for these services.
	ConfigPath string
	Params     ConfigParams

	ownsDir bool
	servers []*http.Server
}

// Start launches Redis, the fake provider and the receiver, and writes the
// configuration file.
func Start(ctx context.Context, opts Options) (sb *Sandbox, err error) {
	sb = &Sandbox{Dir: opts.Dir}
	if sb.Dir == "" {
		if sb.Dir, err = os.MkdirTemp("", "kycpoller-sandbox-"); err != nil {
			return nil, fmt.Errorf("sandbox dir: %w", err)
		}
		sb.ownsDir = true
	}
	defer func() {
		if err != nil {
			sb.Close()
		}
	}()

	ropts := opts.Redis
	ropts.Dir = filepath.Join(sb.Dir, "redis")
	if err := os.MkdirAll(ropts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox redis dir: %w", err)
	}
	if sb.Redis, err = localredis.Start(ctx, ropts); err != nil {
		return nil, err
	}

	p := opts.Config
	p.AccessKey, p.SecretKey = "sandbox-access-"+randomText(8), randomText(24)
	p.WebhookSecret = "whsec_" + randomText(32)
	aopts := opts.Advance
	aopts.AccessKey, aopts.SecretKey = p.AccessKey, p.SecretKey
	sb.Advance = advancefake.New(aopts)
	if sb.AdvanceURL, err = sb.serve(sb.Advance.Handler()); err != nil {
		return nil, err
	}
	if err := sb.startZoloz(opts.Zoloz, &p); err != nil {
		return nil, err
	}
	if sb.Receiver, err = receiver.New(receiver.Options{Secret: p.WebhookSecret, OnDelivery: opts.OnDelivery}); err != nil {
		return nil, err
	}
	if sb.WebhookURL, err = sb.serve(sb.Receiver); err != nil {
		return nil, err
	}

	p.RedisAddr, p.AdvanceURL, p.ZolozURL, p.WebhookURL = sb.Redis.Addr, sb.AdvanceURL, sb.ZolozURL, sb.WebhookURL
	if p.HTTPAddr == "" {
		if p.HTTPAddr, err = FreeAddr(); err != nil {
			return nil, err
		}
	}
	sb.Params = p.withDefaults()
	sb.ConfigPath = filepath.Join(sb.Dir, "kycpoller.yaml")
	if err := sb.Params.WriteFile(sb.ConfigPath); err != nil {
		return nil, err
	}
	return sb, nil
}

// startZoloz generates the merchant's and ZOLOZ's key pairs, writes the
// merchant private key and the ZOLOZ public key as PEM files (as a
// deployment would mount them) and starts the fake gateway.
func (sb *Sandbox) startZoloz(opts zolozfake.Options, p *ConfigParams) error {
	keys, err := sandboxKeys()
	if err != nil {
		return fmt.Errorf("generate zoloz keys: %w", err)
	}
	merchant, zkey := keys[0], keys[1]
	privDER, err := x509.MarshalPKCS8PrivateKey(merchant)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&zkey.PublicKey)
	if err != nil {
		return err
	}
	p.ZolozPrivateKeyFile = filepath.Join(sb.Dir, "zoloz-merchant-private.pem")
	p.ZolozPublicKeyFile = filepath.Join(sb.Dir, "zoloz-public.pem")
	if err := os.WriteFile(p.ZolozPrivateKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return fmt.Errorf("write zoloz key: %w", err)
	}
	if err := os.WriteFile(p.ZolozPublicKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		return fmt.Errorf("write zoloz key: %w", err)
	}
	p.ZolozClientID = "2188" + randomDigits(12)
	opts.ClientID = p.ZolozClientID
	opts.MerchantPublicKey = &merchant.PublicKey
	opts.ZolozPrivateKey = zkey
	sb.Zoloz = zolozfake.New(opts)
	sb.ZolozURL, err = sb.serve(sb.Zoloz.Handler())
	return err
}

// sandboxKeys returns two RSA-2048 key pairs, generated once per process:
// generating them is the slowest part of starting a sandbox.
var sandboxKeys = sync.OnceValues(func() (merchantAndZoloz [2]*rsa.PrivateKey, err error) {
	m, z, err := zolozfake.GenerateKeys(2048)
	return [2]*rsa.PrivateKey{m, z}, err
})

// serve runs h on a fresh loopback listener and returns its base URL.
func (sb *Sandbox) serve(h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("sandbox listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	sb.servers = append(sb.servers, srv)
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "sandbox: http server:", err)
		}
	}()
	return "http://" + l.Addr().String(), nil
}

// Close stops everything and removes the directory if Start created it.
func (sb *Sandbox) Close() {
	for _, s := range sb.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.Shutdown(ctx)
		cancel()
		_ = s.Close()
	}
	if sb.Redis != nil {
		sb.Redis.Stop()
	}
	if sb.ownsDir {
		_ = os.RemoveAll(sb.Dir)
	}
}

// FreeAddr returns a loopback address with a port free at the time of the
// call.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
