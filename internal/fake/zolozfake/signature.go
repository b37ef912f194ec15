package zolozfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// This file implements the gateway's signatures on the provider's side. It
// does not use the client package on purpose: a second implementation of the
// protocol is what makes tests against the fake meaningful.

// timeLayout is the layout of Request-Time and Response-Time.
const timeLayout = "2006-01-02T15:04:05-0700"

// signedContent is what both sides sign: "POST {path}\n{clientId}.{time}.{body}".
func signedContent(path, clientID, t string, body []byte) []byte {
	return append([]byte("POST "+path+"\n"+clientID+"."+t+"."), body...)
}

// sign returns the Signature header value for content signed with key.
func sign(key *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return "algorithm=RSA256, signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// verify checks a request's Signature header against content.
func verify(pub *rsa.PublicKey, header string, content []byte) error {
	var value string
	for _, part := range strings.Split(header, ",") {
		name, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.TrimSpace(name) {
		case "algorithm":
			if strings.TrimSpace(v) != "RSA256" {
				return errors.New("algorithm is not RSA256")
			}
		case "signature":
			value = strings.TrimSpace(v)
		}
	}
	if value == "" {
		return errors.New("no signature")
	}
	unescaped, err := url.QueryUnescape(value)
	if err != nil {
		return fmt.Errorf("signature is not URL-encoded: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(unescaped)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", err)
	}
	sum := sha256.Sum256(content)
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
}

// GenerateKeys returns two fresh RSA key pairs: the merchant's (the client
// signs with it, the fake verifies with its public half) and ZOLOZ's (the
// fake signs answers, the client verifies). Key generation is slow; make
// them once per test binary.
func GenerateKeys(bits int) (merchant, zoloz *rsa.PrivateKey, err error) {
	if merchant, err = rsa.GenerateKey(rand.Reader, bits); err != nil {
		return nil, nil, err
	}
	if zoloz, err = rsa.GenerateKey(rand.Reader, bits); err != nil {
		return nil, nil, err
	}
	return merchant, zoloz, nil
}

// wrongKey signs BadSignature answers. It is made on first use, once per
// process.
var wrongKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})
