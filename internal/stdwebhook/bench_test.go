package stdwebhook_test

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/stdwebhook"
)

// BenchmarkSign signs one delivery attempt: a typical 4 KB body and an
// 800 KB one (a result with images), with one secret and with two during a
// rotation.
func BenchmarkSign(b *testing.B) {
	secret := func(c byte) string {
		return stdwebhook.SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{c}, 32))
	}
	ts := time.Date(2026, 11, 22, 10, 15, 3, 0, time.UTC)
	for _, bc := range []struct {
		name    string
		size    int
		secrets []string
	}{
		{"4KB", 4 << 10, []string{secret('a')}},
		{"800KB", 800 << 10, []string{secret('a')}},
		{"4KB_two_secrets", 4 << 10, []string{secret('a'), secret('b')}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := stdwebhook.NewSigner(bc.secrets...)
			if err != nil {
				b.Fatal(err)
			}
			body := bytes.Repeat([]byte("x"), bc.size)
			b.ReportAllocs()
			b.SetBytes(int64(bc.size))
			for b.Loop() {
				if sig := s.Sign("evt_abcdefghijklmnopqrstuvwxyz", ts, body); sig == "" {
					b.Fatal("no signature")
				}
			}
		})
	}
}
