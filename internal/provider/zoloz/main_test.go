package zoloz

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
)

// Keys made once for the whole package: RSA-2048 generation is slow.
var (
	merchantKey *rsa.PrivateKey // signs our requests
	zolozKey    *rsa.PrivateKey // signs the fake's answers
	otherKey    *rsa.PrivateKey // a key that is neither
)

func TestMain(m *testing.M) {
	var err error
	if merchantKey, zolozKey, err = zolozfake.GenerateKeys(2048); err == nil {
		otherKey, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate test keys:", err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m)
}
