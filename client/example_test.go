package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/kycpoller/kycpoller/client"
)

// An onboarding service hands over a reference when its user finishes the
// provider's flow, and may later look it up.
func Example() {
	c, err := client.Open("/etc/kycpoller/kycpoller.yaml")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	out, err := c.Enqueue(ctx, client.Request{Provider: "advance", ID: "f302f5d2454a85c2"})
	var fe *client.FieldError
	switch {
	case errors.As(err, &fe):
		log.Fatalf("bad reference: %v", err) // names each field at fault
	case err != nil:
		log.Fatal(err) // Redis trouble: enqueueing again is safe
	}
	fmt.Println(out) // queued, or duplicate

	st, err := c.Status(ctx, "advance", "f302f5d2454a85c2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.State, st.Polls, st.NextPollAt)
}

// The merchant's page tells the server that the user finished a ZOLOZ
// flow: poll it now rather than on its schedule.
func ExampleClient_Nudge() {
	c, err := client.Open("/etc/kycpoller/kycpoller.yaml")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	res, err := c.Nudge(context.Background(), "zoloz", "G000000005FID20200509000000000001")
	switch {
	case errors.Is(err, client.ErrNotFound):
		log.Print("not enqueued (or cancelled)")
	case errors.Is(err, client.ErrFinal):
		log.Print("already final: the result is on its way to the sink")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(res) // nudged, or already_due
	}
}
