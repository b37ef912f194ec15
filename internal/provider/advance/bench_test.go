package advance

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"os"
	"testing"
)

// benchImageBytes is the decoded size of each image in the BASE64 answer:
// about 200 KB of base64 text, a typical compressed photo.
const benchImageBytes = 150 << 10

// benchBodies returns realistic Get Result answers: a final one with image
// URLs (the default returnImageType), the same not final yet, and the final
// one with every image inlined as base64 (returnImageType BASE64).
func benchBodies(b *testing.B) (final, notReady, base64Final []byte) {
	b.Helper()
	final, err := os.ReadFile("testdata/examples/success-pass.json")
	if err != nil {
		b.Fatal(err)
	}
	notReady = bytes.Replace(final, []byte(`"overallResult": "PASS"`), []byte(`"overallResult": null`), 1)
	notReady = bytes.Replace(notReady, []byte(`"idvResult": "PASS"`), []byte(`"idvResult": null`), 1)
	rng := rand.New(rand.NewPCG(1, 2))
	base64Final = final
	for _, url := range []string{
		"https://abc.com/faceImageFar.jpg", "https://abc.com/faceImageNear.jpg",
		"https://abc.com/idFrontImage.jpg", "https://abc.com/idBackImage.jpg",
	} {
		img := make([]byte, benchImageBytes)
		for i := range img {
			img[i] = byte(rng.Uint32())
		}
		base64Final = bytes.Replace(base64Final, []byte(url), []byte(base64.StdEncoding.EncodeToString(img)), 1)
	}
	if bytes.Equal(notReady, final) || len(base64Final) < 4*benchImageBytes {
		b.Fatal("bench bodies were not derived from the example")
	}
	return final, notReady, base64Final
}

// BenchmarkParseGetResult is the work of one poll after the body is read:
// envelope, code, finality and the result data.
func BenchmarkParseGetResult(b *testing.B) {
	final, notReady, base64Final := benchBodies(b)
	for _, bc := range []struct {
		name      string
		body      []byte
		wantFinal bool
	}{
		{"final", final, true},
		{"not_ready", notReady, false},
		{"final_base64_images", base64Final, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				env, err := parseEnvelope(bc.body)
				if err != nil || classify(env.Code) != classSuccess {
					b.Fatalf("envelope: %v", err)
				}
				res, err := parseResult(env.Data)
				if err != nil || res.Final != bc.wantFinal {
					b.Fatalf("result final=%v: %v", res.Final, err)
				}
			}
		})
	}
}
