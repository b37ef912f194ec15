package zoloz

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// benchImageBytes is the decoded size of each image in the answer with
// images: about 200 KB of base64 text, a typical compressed photo.
const benchImageBytes = 150 << 10

// benchBodies returns realistic checkresult answers: a final one without
// images (isReturnImage N), the same not final yet, and the final one with
// the face and both document pages as base64 (isReturnImage Y).
func benchBodies(b *testing.B) (final, notReady, imagesFinal []byte) {
	b.Helper()
	final, err := os.ReadFile("testdata/examples/checkresult-success-valid.json")
	if err != nil {
		b.Fatal(err)
	}
	notReady = bytes.Replace(final, []byte(`"ekycResult": "Success"`), []byte(`"ekycResult": "InProcess"`), 1)
	rng := rand.New(rand.NewPCG(3, 4))
	imagesFinal = final
	for _, key := range []string{`"faceImg": `, `"frontPageImg": `, `"backPageImg": `} {
		img := make([]byte, benchImageBytes)
		for i := range img {
			img[i] = byte(rng.Uint32())
		}
		placeholder := []byte(key + `"/9j/4AA..[omitted]..PxA="`)
		imagesFinal = bytes.Replace(imagesFinal, placeholder, []byte(key+`"`+base64.StdEncoding.EncodeToString(img)+`"`), 1)
	}
	if bytes.Equal(notReady, final) || len(imagesFinal) < 3*benchImageBytes {
		b.Fatal("bench bodies were not derived from the example")
	}
	return final, notReady, imagesFinal
}

// BenchmarkParseCheckResult is the work of one poll after the body is read
// and its signature checked: envelope, finality and the result data.
func BenchmarkParseCheckResult(b *testing.B) {
	final, notReady, imagesFinal := benchBodies(b)
	for _, bc := range []struct {
		name      string
		body      []byte
		wantFinal bool
	}{
		{"final", final, true},
		{"not_ready", notReady, false},
		{"final_base64_images", imagesFinal, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				a, err := parseAnswer(bc.body)
				if err != nil || a.status != statusSuccess {
					b.Fatalf("answer: %v", err)
				}
				res, err := finalResult(a)
				if err != nil || res.Final != bc.wantFinal {
					b.Fatalf("result final=%v: %v", res.Final, err)
				}
			}
		})
	}
}

// BenchmarkSignRequest signs one checkresult request with the merchant's
// RSA-2048 key.
func BenchmarkSignRequest(b *testing.B) {
	body := []byte(`{"bizId":"onboarding-42","transactionId":"G000000005FID20200509000000000001","isReturnImage":"N","returnFiveCategorySpoofResult":"N"}`)
	reqTime := time.Date(2026, 11, 22, 10, 15, 3, 0, time.UTC).Format(TimeLayout)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SignRequest(merchantKey, CheckResultPath, "2188000123456789", reqTime, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyResponse checks the gateway's RSA-2048 signature of an
// answer, with and without images.
func BenchmarkVerifyResponse(b *testing.B) {
	final, _, imagesFinal := benchBodies(b)
	const clientID = "2188000123456789"
	respTime := time.Date(2026, 11, 22, 10, 15, 3, 0, time.UTC).Format(TimeLayout)
	for _, bc := range []struct {
		name string
		body []byte
	}{{"final", final}, {"final_base64_images", imagesFinal}} {
		b.Run(bc.name, func(b *testing.B) {
			sig, err := SignRequest(zolozKey, CheckResultPath, clientID, respTime, bc.body)
			if err != nil {
				b.Fatal(err)
			}
			header := signatureHeader(sig)
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				if err := VerifyResponse(&zolozKey.PublicKey, CheckResultPath, clientID, respTime, bc.body, header); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
