package zoloz_test

import (
	"context"
	"fmt"
	"time"

	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/provider/zoloz"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// A client polls until the answer is final. Requests are signed with the
// merchant key and every answer is verified with the ZOLOZ public key before
// it is read.
func ExampleClient_Check() {
	// In production both keys come from configuration, through
	// ParsePrivateKey and ParsePublicKey.
	merchant, gateway, err := zolozfake.GenerateKeys(2048)
	if err != nil {
		panic(err)
	}
	fake := zolozfake.New(zolozfake.Options{
		ClientID:          "2188000123456789",
		MerchantPublicKey: &merchant.PublicKey,
		ZolozPrivateKey:   gateway,
	})
	if err := fake.Listen(); err != nil {
		panic(err)
	}
	defer fake.Close()
	fake.Register("G000000005FID20200304000000000001570702", zolozfake.Script{
		BizID:      "2017839040588699",
		ReadyAfter: 50 * time.Millisecond,
		Outcome:    zolozfake.OutcomeVoidCancelled,
	})

	c, err := zoloz.New(zoloz.Options{
		BaseURL:                 fake.URL(),
		ClientID:                "2188000123456789",
		MerchantPrivateKey:      merchant,
		ZolozPublicKey:          &gateway.PublicKey,
		VerifyResponseSignature: true,
	})
	if err != nil {
		panic(err)
	}
	ref := verification.Ref{
		Provider: verification.ProviderZoloz,
		ID:       "G000000005FID20200304000000000001570702", // transactionId
		BizID:    "2017839040588699",
	}
	for {
		res, err := c.Check(context.Background(), ref)
		if err != nil {
			panic(err)
		}
		if res.Final {
			fmt.Println(res.Status, res.ProviderStatus)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Output:
	// CANCELLED VoidCancelled
}
