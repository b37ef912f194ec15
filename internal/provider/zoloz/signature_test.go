package zoloz

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const opensslPath = "/usr/bin/openssl"

// openssl runs the openssl binary, which the project's setup installs.
func openssl(t *testing.T, args ...string) []byte {
	t.Helper()
	if _, err := os.Stat(opensslPath); err != nil {
		t.Fatalf("%s not found: the signature tests check against openssl; run make setup (or apt-get install openssl)", opensslPath)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(opensslPath, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// writeKeys writes key as a PKCS#8 PEM and its public half as a PKIX PEM.
func writeKeys(t *testing.T, dir string, key *rsa.PrivateKey) (keyPath, pubPath string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPath = filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyPath, pubPath
}

func TestSignRequestMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyPath, pubPath := writeKeys(t, dir, merchantKey)

	const reqTime = "2019-04-04T12:08:56+0530"
	body := []byte(`{"bizId":"2017839040588699","transactionId":"G000000005FID20200304000000000001570702","isReturnImage":"N","returnFiveCategorySpoofResult":"N"}`)
	content := "POST " + CheckResultPath + "\n" + testClientID + "." + reqTime + "." + string(body)
	msgPath := filepath.Join(dir, "content.txt")
	if err := os.WriteFile(msgPath, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	want := openssl(t, "dgst", "-sha256", "-sign", keyPath, msgPath)
	got, err := SignRequest(merchantKey, CheckResultPath, testClientID, reqTime, body)
	if err != nil {
		t.Fatal(err)
	}
	if wantEnc := url.QueryEscape(base64.StdEncoding.EncodeToString(want)); got != wantEnc {
		t.Fatalf("SignRequest = %s\nopenssl gives %s", got, wantEnc)
	}
	if strings.ContainsAny(got, "+/=") {
		t.Errorf("signature %q is not URL-encoded", got)
	}

	// And openssl accepts ours.
	raw, err := url.QueryUnescape(got)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	sigPath := filepath.Join(dir, "sig.bin")
	if err := os.WriteFile(sigPath, sig, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := openssl(t, "dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, msgPath); !bytes.Contains(out, []byte("Verified OK")) {
		t.Errorf("openssl verify: %s", out)
	}
}

func TestVerifyResponseAcceptsOpenSSLSignature(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyPath, _ := writeKeys(t, dir, zolozKey)
	const respTime = "2024-01-02T03:04:05+0800"
	body := []byte(`{"result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"},"ekycResult":"Success"}`)
	msgPath := filepath.Join(dir, "content.txt")
	if err := os.WriteFile(msgPath, []byte("POST "+CheckResultPath+"\n"+testClientID+"."+respTime+"."+string(body)), 0o600); err != nil {
		t.Fatal(err)
	}
	sig := openssl(t, "dgst", "-sha256", "-sign", keyPath, msgPath)
	header := "algorithm=RSA256, signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
	if err := VerifyResponse(&zolozKey.PublicKey, CheckResultPath, testClientID, respTime, body, header); err != nil {
		t.Errorf("VerifyResponse rejects openssl's signature: %v", err)
	}
}

func TestVerifyResponse(t *testing.T) {
	t.Parallel()
	const respTime = "2024-01-02T03:04:05+0800"
	body := []byte(`{"result":{"resultCode":"SUCCESS","resultMessage":"Success","resultStatus":"S"},"ekycResult":"Success","extBasicInfo":{"certName":"` + rawName + `"}}`)
	sign := func(key *rsa.PrivateKey, b []byte) string {
		t.Helper()
		s, err := SignRequest(key, CheckResultPath, testClientID, respTime, b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sig := sign(zolozKey, body)
	rawSig, _ := url.QueryUnescape(sig)
	pub := &zolozKey.PublicKey

	accepted := map[string]string{
		"canonical":          "algorithm=RSA256, signature=" + sig,
		"no space":           "algorithm=RSA256,signature=" + sig,
		"reversed":           "signature=" + sig + ", algorithm=RSA256",
		"reversed no space":  "signature=" + sig + ",algorithm=RSA256",
		"extra spaces":       "  algorithm = RSA256 ,   signature = " + sig + "  ",
		"lower-case algo":    "algorithm=rsa256, signature=" + sig,
		"capitalised names":  "Algorithm=RSA256, Signature=" + sig,
		"not URL-encoded":    "algorithm=RSA256, signature=" + rawSig,
		"no algorithm":       "signature=" + sig,
		"unknown extra part": "algorithm=RSA256, keyVersion=1, signature=" + sig,
	}
	for name, h := range accepted {
		if err := VerifyResponse(pub, CheckResultPath, testClientID, respTime, body, h); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	changed := bytes.Clone(body)
	changed[bytes.Index(changed, []byte("Success"))] = 's'
	other := sign(otherKey, body)
	rejected := []struct {
		name   string
		pub    *rsa.PublicKey
		path   string
		client string
		time   string
		body   []byte
		header string
	}{
		{"body changed by one byte", pub, CheckResultPath, testClientID, respTime, changed, "algorithm=RSA256, signature=" + sig},
		{"another key", pub, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256, signature=" + other},
		{"verified with another key", &otherKey.PublicKey, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256, signature=" + sig},
		{"other time", pub, CheckResultPath, testClientID, "2024-01-02T03:04:06+0800", body, "algorithm=RSA256, signature=" + sig},
		{"other client", pub, CheckResultPath, "2188000000000000", respTime, body, "algorithm=RSA256, signature=" + sig},
		{"other path", pub, "/api/v1/zoloz/realid/initialize", testClientID, respTime, body, "algorithm=RSA256, signature=" + sig},
		{"no header", pub, CheckResultPath, testClientID, respTime, body, ""},
		{"no time", pub, CheckResultPath, testClientID, "", body, "algorithm=RSA256, signature=" + sig},
		{"no signature part", pub, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256"},
		{"empty signature", pub, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256, signature="},
		{"other algorithm", pub, CheckResultPath, testClientID, respTime, body, "algorithm=RSA512, signature=" + sig},
		{"signature twice", pub, CheckResultPath, testClientID, respTime, body, "signature=" + other + ", signature=" + sig},
		{"not base64", pub, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256, signature=" + rawName},
		{"bad URL encoding", pub, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256, signature=%zz" + sig},
		{"truncated", pub, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256, signature=" + sig[:len(sig)-8]},
		{"no key", nil, CheckResultPath, testClientID, respTime, body, "algorithm=RSA256, signature=" + sig},
	}
	for _, tt := range rejected {
		err := VerifyResponse(tt.pub, tt.path, tt.client, tt.time, tt.body, tt.header)
		if !errors.Is(err, ErrResponseSignature) {
			t.Errorf("%s: error %v, want one wrapping ErrResponseSignature", tt.name, err)
			continue
		}
		if strings.Contains(err.Error(), rawName) || strings.Contains(err.Error(), sig[5:30]) || strings.Contains(err.Error(), other[5:30]) {
			t.Errorf("%s: error repeats input: %v", tt.name, err)
		}
	}
}

func TestSignRequestNoKey(t *testing.T) {
	t.Parallel()
	if _, err := SignRequest(nil, CheckResultPath, testClientID, "t", nil); err == nil {
		t.Error("signed without a key")
	}
}
