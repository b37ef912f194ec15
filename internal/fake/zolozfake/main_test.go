package zolozfake

import (
	"crypto/rsa"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Keys made once for the whole package: RSA-2048 generation is slow.
var merchantKey, zolozKey *rsa.PrivateKey

func TestMain(m *testing.M) {
	var err error
	if merchantKey, zolozKey, err = GenerateKeys(2048); err != nil {
		fmt.Fprintln(os.Stderr, "generate test keys:", err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m)
}
