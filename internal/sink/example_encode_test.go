package sink_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/sink"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// A CloudEvents body whose result holds a base64 face image: the image is
// replaced by its size and digest, the URL and the score are kept.
func ExampleEncoder() {
	face := strings.Repeat("/9j/4AAQSkZJRgABAQ", 20) // 360 base64 characters
	ref := verification.Ref{Provider: verification.ProviderZoloz, ID: "G0001"}
	res := verification.Result{
		Final:  true,
		Status: verification.StatusPass,
		Data:   json.RawMessage(`{"faceImg":"` + face + `","faceImageUrl":"https://example.com/f.jpg","faceScore":95.30}`),
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := event.New(ref, res, 2, at, at)

	body, contentType, err := sink.Encoder{Format: sink.FormatCloudEvents}.Encode(ev)
	if err != nil {
		panic(err)
	}
	var ce struct {
		ID      string `json:"id"`
		Subject string `json:"subject"`
		Data    struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ce); err != nil {
		panic(err)
	}
	fmt.Println(contentType)
	fmt.Println(ce.ID == ev.ID, ce.Subject)
	fmt.Println(string(ce.Data.Result))
	// Output:
	// application/cloudevents+json
	// true zoloz/G0001
	// {"faceImg":{"bytes":270,"sha256":"bc2ac31fe1857bfb2fb3c3613751bae4535794e3a108b26f27968cd3e6dbdd68"},"faceImageUrl":"https://example.com/f.jpg","faceScore":95.30}
}
