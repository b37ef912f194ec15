package zoloz

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// wrapped returns base64 of der in lines of n characters, joined by sep.
func wrapped(der []byte, n int, sep string) []byte {
	b := base64.StdEncoding.EncodeToString(der)
	var lines []string
	for len(b) > n {
		lines = append(lines, b[:n])
		b = b[n:]
	}
	return []byte(strings.Join(append(lines, b), sep))
}

func TestParsePrivateKey(t *testing.T) {
	t.Parallel()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(merchantKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(merchantKey)

	// An openssl-made key, in the form openssl writes it.
	dir := t.TempDir()
	keyPath, _ := writeKeys(t, dir, merchantKey)
	traditional := openssl(t, "pkey", "-in", keyPath, "-traditional")
	if !strings.Contains(string(traditional), "BEGIN RSA PRIVATE KEY") {
		t.Fatalf("openssl pkey -traditional wrote %q", traditional[:40])
	}

	for name, data := range map[string][]byte{
		"PKCS#8 PEM":                     pemOf("PRIVATE KEY", pkcs8),
		"PKCS#1 PEM":                     pemOf("RSA PRIVATE KEY", pkcs1),
		"PKCS#1 PEM from openssl":        traditional,
		"PKCS#8 PEM with CRLF":           []byte(strings.ReplaceAll(string(pemOf("PRIVATE KEY", pkcs8)), "\n", "\r\n")),
		"PKCS#8 PEM with escaped breaks": []byte(strings.ReplaceAll(string(pemOf("PRIVATE KEY", pkcs8)), "\n", `\n`)),
		"PKCS#8 PEM indented":            []byte("\n   " + strings.ReplaceAll(string(pemOf("PRIVATE KEY", pkcs8)), "\n", "\n   ")),
		"bare base64 PKCS#8":             []byte(base64.StdEncoding.EncodeToString(pkcs8)),
		"bare base64 PKCS#8, 64 a line":  wrapped(pkcs8, 64, "\n"),
		"bare base64 PKCS#8, 76, CRLF":   wrapped(pkcs8, 76, "\r\n"),
		"bare base64 PKCS#8, spaces":     append(append([]byte("  "), wrapped(pkcs8, 50, " ")...), "\n\n"...),
		"bare base64 PKCS#1":             []byte(base64.StdEncoding.EncodeToString(pkcs1)),
	} {
		key, err := ParsePrivateKey(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !key.Equal(merchantKey) {
			t.Errorf("%s: parsed a different key", name)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	t.Parallel()
	pkix, err := x509.MarshalPKIXPublicKey(&zolozKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PublicKey(&zolozKey.PublicKey)
	for name, data := range map[string][]byte{
		"PKIX PEM":                  pemOf("PUBLIC KEY", pkix),
		"PKCS#1 PEM":                pemOf("RSA PUBLIC KEY", pkcs1),
		"bare base64 PKIX":          []byte(base64.StdEncoding.EncodeToString(pkix)),
		"bare base64 PKIX, wrapped": wrapped(pkix, 64, "\n"),
		"bare base64 PKCS#1":        []byte(base64.StdEncoding.EncodeToString(pkcs1)),
	} {
		key, err := ParsePublicKey(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !key.Equal(&zolozKey.PublicKey) {
			t.Errorf("%s: parsed a different key", name)
		}
	}
}

func TestParseKeyErrors(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, _ := x509.MarshalPKCS8PrivateKey(small)
	smallPub, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecSEC1, _ := x509.MarshalECPrivateKey(ec)
	ecPub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(ed)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(merchantKey)
	pkix, _ := x509.MarshalPKIXPublicKey(&merchantKey.PublicKey)
	pkcs8B64 := base64.StdEncoding.EncodeToString(pkcs8)

	// Material that must never be repeated in an error.
	secrets := []string{pkcs8B64[300:340], base64.StdEncoding.EncodeToString(smallDER)[200:240], "c2VjcmV0LWdhcmJhZ2U", "NOT-A-KEY-BUT-SECRET"}

	private := []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"blank", " \n\t ", "empty"},
		{"garbage", "NOT-A-KEY-BUT-SECRET", "neither PEM nor base64"},
		{"base64 garbage", "c2VjcmV0LWdhcmJhZ2U=", "not a PKCS#8 or PKCS#1 private key"},
		{"truncated base64 key", pkcs8B64[:len(pkcs8B64)/8*4], "not a PKCS#8 or PKCS#1"},
		{"malformed PEM", "-----BEGIN PRIVATE KEY-----\n" + pkcs8B64[:300] + "\n", "malformed PEM"},
		{"two PEM blocks", string(pemOf("PRIVATE KEY", pkcs8)) + string(pemOf("PRIVATE KEY", pkcs8)), "after the PEM block"},
		{"PEM type mislabelled", string(pemOf("CERTIFICATE REQUEST", pkcs8)), "unexpected PEM block"},
		{"encrypted PKCS#8", string(pemOf("ENCRYPTED PRIVATE KEY", []byte("c2VjcmV0LWdhcmJhZ2U"))), "encrypted"},
		{"encrypted legacy PEM", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n" + pkcs8B64[:64] + "\n-----END RSA PRIVATE KEY-----\n", "encrypted"},
		{"EC PKCS#8 PEM", string(pemOf("PRIVATE KEY", ecPKCS8)), "EC key"},
		{"EC SEC1 PEM", string(pemOf("EC PRIVATE KEY", ecSEC1)), "EC key"},
		{"EC SEC1 bare", base64.StdEncoding.EncodeToString(ecSEC1), "EC key"},
		{"Ed25519", string(pemOf("PRIVATE KEY", edPKCS8)), "Ed25519"},
		{"1024-bit key", string(pemOf("PRIVATE KEY", smallDER)), "1024 bits; at least 2048"},
		{"public key PEM", string(pemOf("PUBLIC KEY", pkix)), "public key"},
		{"public key bare", base64.StdEncoding.EncodeToString(pkix), "public key"},
	}
	for _, tt := range private {
		_, err := ParsePrivateKey([]byte(tt.data))
		if err == nil {
			t.Errorf("private %s: accepted", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "zoloz private key: ") {
			t.Errorf("private %s: error %q, want it to say %q", tt.name, err, tt.want)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("private %s: error repeats key material: %v", tt.name, err)
			}
		}
	}

	public := []struct {
		name, data, want string
	}{
		{"empty", "", "empty"},
		{"garbage", "NOT-A-KEY-BUT-SECRET", "neither PEM nor base64"},
		{"base64 garbage", "c2VjcmV0LWdhcmJhZ2U=", "not a PKIX or PKCS#1 public key"},
		{"EC", string(pemOf("PUBLIC KEY", ecPub)), "EC key"},
		{"1024-bit key", base64.StdEncoding.EncodeToString(smallPub), "1024 bits"},
		{"private key PEM", string(pemOf("PRIVATE KEY", pkcs8)), "private key"},
		{"private key bare", pkcs8B64, "private key"},
		{"certificate", string(pemOf("CERTIFICATE", pkix)), "certificate"},
	}
	for _, tt := range public {
		_, err := ParsePublicKey([]byte(tt.data))
		if err == nil {
			t.Errorf("public %s: accepted", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "zoloz public key: ") {
			t.Errorf("public %s: error %q, want it to say %q", tt.name, err, tt.want)
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("public %s: error repeats key material: %v", tt.name, err)
			}
		}
	}
}
