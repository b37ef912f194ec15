package sink_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/sink"
	"github.com/kycpoller/kycpoller/internal/verification"
)

// benchImageBytes is the decoded size of each image of the result with
// images: about 200 KB of base64 text, a typical compressed photo.
const benchImageBytes = 150 << 10

// benchEvents returns completion events of ADVANCE.AI results: one as the
// default returnImageType URL answers, one with its four images inlined as
// base64 (returnImageType BASE64).
func benchEvents(b *testing.B) (urls, images *event.Event) {
	b.Helper()
	answer, err := os.ReadFile("../provider/advance/testdata/examples/success-pass.json")
	if err != nil {
		b.Fatal(err)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(answer, &env); err != nil {
		b.Fatal(err)
	}
	withImages := env.Data
	rng := rand.New(rand.NewPCG(5, 6))
	for _, url := range []string{
		"https://abc.com/faceImageFar.jpg", "https://abc.com/faceImageNear.jpg",
		"https://abc.com/idFrontImage.jpg", "https://abc.com/idBackImage.jpg",
	} {
		img := make([]byte, benchImageBytes)
		for i := range img {
			img[i] = byte(rng.Uint32())
		}
		withImages = bytes.Replace(withImages, []byte(url), []byte(base64.StdEncoding.EncodeToString(img)), 1)
	}
	if len(withImages) < 4*benchImageBytes {
		b.Fatal("images not inlined")
	}
	ref := verification.Ref{Provider: verification.ProviderAdvance, ID: "f302f5d2454a85c2"}
	enq := time.Date(2026, 11, 22, 10, 14, 41, 120e6, time.UTC)
	mk := func(data json.RawMessage) *event.Event {
		res := verification.Result{Final: true, Status: verification.StatusPass, ProviderStatus: "PASS", ErrorCode: "SUCCESS", Data: data}
		return event.New(ref, res, 4, enq, enq.Add(22*time.Second))
	}
	return mk(env.Data), mk(withImages)
}

// BenchmarkEncode encodes one completion event as a sink's body, in each
// format, with images replaced by their digest (the default) or included.
func BenchmarkEncode(b *testing.B) {
	urls, images := benchEvents(b)
	for _, bc := range []struct {
		name string
		ev   *event.Event
		enc  sink.Encoder
	}{
		{"default/urls", urls, sink.Encoder{}},
		{"cloudevents/urls", urls, sink.Encoder{Format: sink.FormatCloudEvents}},
		{"default/base64_images_redacted", images, sink.Encoder{}},
		{"default/base64_images_included", images, sink.Encoder{IncludeImages: true}},
		{"cloudevents/base64_images_redacted", images, sink.Encoder{Format: sink.FormatCloudEvents}},
		{"default/omit_result", images, sink.Encoder{OmitResult: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			if !bc.enc.OmitResult {
				b.SetBytes(int64(len(bc.ev.Data.Result)))
			}
			for b.Loop() {
				if _, _, err := bc.enc.Encode(bc.ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
