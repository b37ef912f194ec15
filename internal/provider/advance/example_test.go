package advance_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/localredis"
	"github.com/kycpoller/kycpoller/internal/provider/advance"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// A client polls until the provider's answer is final. Every worker process
// builds its own Client on the same Redis and they share one access token.
func ExampleClient_Check() {
	ctx := context.Background()
	fake := advancefake.New(advancefake.Options{AccessKey: "ak", SecretKey: "sk"})
	if err := fake.Listen(); err != nil {
		panic(err)
	}
	defer fake.Close()
	fake.Register("f302f5d2454a85c2", advancefake.Script{ReadyAfter: 50 * time.Millisecond, Outcome: advancefake.OutcomeFail})

	srv, err := localredis.Start(ctx, localredis.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Stop()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()

	c, err := advance.New(advance.Options{
		BaseURL:   fake.URL(),
		AccessKey: "ak",
		SecretKey: "sk",
		Redis:     rdb,
	})
	if err != nil {
		panic(err)
	}
	ref := verification.Ref{Provider: verification.ProviderAdvance, ID: "f302f5d2454a85c2"}
	for {
		res, err := c.Check(ctx, ref)
		if err != nil {
			panic(err)
		}
		if res.Final {
			fmt.Println(res.Status, res.ErrorCode)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Println("token requests:", fake.TokenRequests())
	// Output:
	// FAIL LIVENESS_ATTACK
	// token requests: 1
}
