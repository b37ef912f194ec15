package zoloz

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// MinKeyBits is the smallest RSA modulus accepted for either key. ZOLOZ
// issues and expects RSA-2048.
const MinKeyBits = 2048

// ParsePrivateKey reads the merchant's RSA private key: PKCS#8 PEM
// ("PRIVATE KEY"), PKCS#1 PEM ("RSA PRIVATE KEY"), or bare base64 DER of
// either, as the ZOLOZ portal hands it out. Whitespace and line breaks
// anywhere, and literal "\n" sequences (a PEM pasted into an environment
// variable), are tolerated. Only unencrypted RSA keys of at least MinKeyBits
// are accepted. Errors name the format problem and never repeat key material.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	key, err := parsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("zoloz private key: %w", err)
	}
	return key, nil
}

func parsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	der, pemType, err := keyDER(data)
	if err != nil {
		return nil, err
	}
	switch pemType {
	case "", "PRIVATE KEY", "RSA PRIVATE KEY":
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the key is encrypted; provide it unencrypted (PKCS#8 or PKCS#1)")
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, errors.New("this is a public key or certificate; the merchant private key is needed here")
	case "EC PRIVATE KEY":
		return nil, errors.New("this is an EC key; ZOLOZ needs an RSA key")
	default:
		return nil, fmt.Errorf("unexpected PEM block %q; want PRIVATE KEY or RSA PRIVATE KEY", pemType)
	}

	var parsed any
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		parsed = k
	} else if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		parsed = k
	} else if _, err := x509.ParseECPrivateKey(der); err == nil {
		return nil, errors.New("this is an EC key; ZOLOZ needs an RSA key")
	} else if isPublicKeyDER(der) {
		return nil, errors.New("this is a public key; the merchant private key is needed here")
	} else {
		// The x509 errors are not repeated: some quote ASN.1 details of
		// the input.
		return nil, errors.New("not a PKCS#8 or PKCS#1 private key")
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("this is %s key; ZOLOZ needs an RSA key", algorithmName(parsed))
	}
	if bits := key.N.BitLen(); bits < MinKeyBits {
		return nil, fmt.Errorf("RSA key is %d bits; at least %d are required", bits, MinKeyBits)
	}
	return key, nil
}

// ParsePublicKey reads the ZOLOZ RSA public key: PKIX PEM ("PUBLIC KEY"),
// PKCS#1 PEM ("RSA PUBLIC KEY"), or bare base64 DER of either. Whitespace is
// tolerated as in ParsePrivateKey; keys below MinKeyBits are rejected.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	key, err := parsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("zoloz public key: %w", err)
	}
	return key, nil
}

func parsePublicKey(data []byte) (*rsa.PublicKey, error) {
	der, pemType, err := keyDER(data)
	if err != nil {
		return nil, err
	}
	switch pemType {
	case "", "PUBLIC KEY", "RSA PUBLIC KEY":
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		// Saying so loudly: a private key in the public key's place is
		// a secret in the wrong config field.
		return nil, errors.New("this is a private key; the ZOLOZ public key is needed here")
	case "CERTIFICATE":
		return nil, errors.New("this is a certificate; provide the public key (PUBLIC KEY) instead")
	default:
		return nil, fmt.Errorf("unexpected PEM block %q; want PUBLIC KEY or RSA PUBLIC KEY", pemType)
	}

	var parsed any
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		parsed = k
	} else if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		parsed = k
	} else if isPrivateKeyDER(der) {
		return nil, errors.New("this is a private key; the ZOLOZ public key is needed here")
	} else {
		return nil, errors.New("not a PKIX or PKCS#1 public key")
	}
	key, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("this is %s key; ZOLOZ uses RSA", algorithmName(parsed))
	}
	if bits := key.N.BitLen(); bits < MinKeyBits {
		return nil, fmt.Errorf("RSA key is %d bits; at least %d are required", bits, MinKeyBits)
	}
	return key, nil
}

// keyDER returns the DER bytes in data and, when data is PEM, the block's
// type.
func keyDER(data []byte) (der []byte, pemType string, err error) {
	data = bytes.ReplaceAll(data, []byte(`\n`), []byte("\n"))
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, "", errors.New("empty")
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		// encoding/pem wants its lines unindented.
		lines := bytes.Split(data, []byte("\n"))
		for i := range lines {
			lines[i] = bytes.TrimSpace(lines[i])
		}
		block, rest := pem.Decode(bytes.Join(lines, []byte("\n")))
		if block == nil {
			return nil, "", errors.New("malformed PEM (check the BEGIN and END lines)")
		}
		if len(bytes.TrimSpace(rest)) > 0 {
			return nil, "", errors.New("unexpected data after the PEM block; provide exactly one key")
		}
		if _, encrypted := block.Headers["DEK-Info"]; encrypted {
			return nil, "", errors.New("the key is encrypted; provide it unencrypted")
		}
		return block.Bytes, block.Type, nil
	}
	compact := bytes.Join(bytes.Fields(data), nil)
	der = make([]byte, base64.StdEncoding.DecodedLen(len(compact)))
	n, err := base64.StdEncoding.Decode(der, compact)
	if err != nil {
		// base64's error names an offset only, but keep our own words.
		return nil, "", errors.New("neither PEM nor base64-encoded DER")
	}
	return der[:n], "", nil
}

func isPublicKeyDER(der []byte) bool {
	if _, err := x509.ParsePKIXPublicKey(der); err == nil {
		return true
	}
	_, err := x509.ParsePKCS1PublicKey(der)
	return err == nil
}

func isPrivateKeyDER(der []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	_, err := x509.ParseECPrivateKey(der)
	return err == nil
}

func algorithmName(key any) string {
	switch key.(type) {
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "an EC"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "an Ed25519"
	}
	return "a non-RSA"
}
