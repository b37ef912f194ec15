package zoloz

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
)

// Gateway headers.
const (
	HeaderClientID     = "Client-Id"
	HeaderRequestTime  = "Request-Time"
	HeaderResponseTime = "Response-Time"
	HeaderSignature    = "Signature"
)

// TimeLayout is the layout of the Request-Time and Response-Time headers,
// e.g. 2019-04-04T12:08:56+0530.
const TimeLayout = "2006-01-02T15:04:05-0700"

// signatureAlgorithm is the only algorithm the gateway uses.
const signatureAlgorithm = "RSA256"

// ErrResponseSignature is wrapped by every error VerifyResponse returns.
var ErrResponseSignature = errors.New("response signature invalid")

// contentDigest is the SHA-256 of the string both sides sign,
// "POST {path}\n{Client-Id}.{time}.{body}", hashed piece by piece so that
// the body is never copied.
func contentDigest(path, clientID, t string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte("POST "))
	h.Write([]byte(path))
	h.Write([]byte{'\n'})
	h.Write([]byte(clientID))
	h.Write([]byte{'.'})
	h.Write([]byte(t))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// SignRequest signs one gateway request: SHA256withRSA (PKCS #1 v1.5) with
// the merchant key over "POST {path}\n{clientID}.{requestTime}.{body}",
// where body is the exact bytes sent. It returns the signature as the
// gateway wants it in the Signature header: standard base64, URL-encoded.
func SignRequest(key *rsa.PrivateKey, path, clientID, requestTime string, body []byte) (string, error) {
	if key == nil {
		return "", errors.New("sign zoloz request: no private key")
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, contentDigest(path, clientID, requestTime, body))
	if err != nil {
		return "", fmt.Errorf("sign zoloz request: %w", err)
	}
	return url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// signatureHeader is the Signature header value for a signature made by
// SignRequest.
func signatureHeader(sig string) string {
	return "algorithm=" + signatureAlgorithm + ", signature=" + sig
}

// VerifyResponse checks a gateway answer's Signature header: SHA256withRSA
// with the ZOLOZ public key over
// "POST {path}\n{clientID}.{responseTime}.{body}", where body is the raw
// response body. The header is "algorithm=RSA256, signature=<sig>" with the
// parts in any order and with or without spaces; <sig> is base64,
// URL-encoded or not. Every error wraps ErrResponseSignature and repeats
// nothing from the header or the body.
func VerifyResponse(pub *rsa.PublicKey, path, clientID, responseTime string, body []byte, signatureHeader string) error {
	if pub == nil {
		return fmt.Errorf("%w: no ZOLOZ public key to verify with", ErrResponseSignature)
	}
	if strings.TrimSpace(signatureHeader) == "" {
		return fmt.Errorf("%w: no %s header", ErrResponseSignature, HeaderSignature)
	}
	if responseTime == "" {
		return fmt.Errorf("%w: no %s header", ErrResponseSignature, HeaderResponseTime)
	}
	sig, err := parseSignatureHeader(signatureHeader)
	if err != nil {
		return fmt.Errorf("%w: %s header: %w", ErrResponseSignature, HeaderSignature, err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, contentDigest(path, clientID, responseTime, body), sig); err != nil {
		return fmt.Errorf("%w: the signature does not match the response", ErrResponseSignature)
	}
	return nil
}

// parseSignatureHeader returns the decoded signature of a Signature header.
// An algorithm part, when present, must be RSA256; parts with other names
// are ignored.
func parseSignatureHeader(h string) ([]byte, error) {
	var algorithm, value string
	var haveAlgorithm, haveValue bool
	for _, part := range strings.Split(h, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "algorithm":
			if haveAlgorithm {
				return nil, errors.New("algorithm given twice")
			}
			algorithm, haveAlgorithm = v, true
		case "signature":
			if haveValue {
				return nil, errors.New("signature given twice")
			}
			value, haveValue = v, true
		}
	}
	if haveAlgorithm && !strings.EqualFold(algorithm, signatureAlgorithm) {
		return nil, errors.New("algorithm is not " + signatureAlgorithm)
	}
	if value == "" {
		return nil, errors.New("no signature value")
	}
	// PathUnescape, not QueryUnescape: a signature sent without URL
	// encoding keeps its '+' characters.
	unescaped, err := url.PathUnescape(value)
	if err != nil {
		return nil, errors.New("signature is not URL-encoded correctly")
	}
	sig, err := base64.StdEncoding.DecodeString(unescaped)
	if err != nil {
		return nil, errors.New("signature is not base64")
	}
	return sig, nil
}
