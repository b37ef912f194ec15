package sink_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/sink"
)

// imageBytes returns n reproducible bytes that stand for a JPEG.
func imageBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	copy(b, "\xff\xd8\xff\xe0") // JPEG magic
	return b
}

// summary is the replacement of the image string s, whose image has n
// bytes.
func summary(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf(`{"bytes":%d,"sha256":"%s"}`, n, hex.EncodeToString(sum[:]))
}

func withResult(result string) *event.Event {
	ev := testEvent("v-images")
	ev.Data.Result = json.RawMessage(result)
	return ev
}

// resultOf extracts data.result, byte for byte, from a default-format body.
func resultOf(t *testing.T, body string) string {
	t.Helper()
	var b struct {
		Data struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return string(b.Data.Result)
}

// marshaled is the JSON text s as json.Marshal sends it within an event:
// compact, with <, > and & escaped.
func marshaled(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(json.RawMessage(s))
	if err != nil {
		t.Fatalf("marshal %.100s: %v", s, err)
	}
	return string(b)
}

// fill replaces each {{name}} of tmpl.
func fill(tmpl string, vals map[string]string) string {
	for k, v := range vals {
		tmpl = strings.ReplaceAll(tmpl, "{{"+k+"}}", v)
	}
	return tmpl
}

// An ADVANCE.AI-shaped result (H5 liveness and ID check, BASE64 image
// mode): images replaced, the audit image URL, numbers and everything else
// kept byte for byte, in order.
func TestImagesAdvanceResult(t *testing.T) {
	t.Parallel()
	far, near, front := imageBytes(1, 3000), imageBytes(2, 2500), imageBytes(3, 40000)
	farB64 := base64.StdEncoding.EncodeToString(far)
	nearB64 := base64.StdEncoding.EncodeToString(near)
	frontB64 := base64.StdEncoding.EncodeToString(front)
	audit := "https://sg-oss.advance.ai/audit/" + strings.Repeat("a1b2c3", 60) + ".jpg?Expires=1735787045&Signature=" + strings.Repeat("Zm9v", 30)
	tmpl := `{"livenessScore":98.50,"similarity":"87.12","faceImageFar":{{far}},"faceImageNear":{{near}},` +
		`"docFrontImage":{{front}},"auditImageUrl":"` + audit + `","thumbnailImage":"aGVsbG8=",` +
		`"idInfo":{"nik":"3171234567890001","name":"` + personalMarker + `","birthday":"1990-01-01"},` +
		`"transactionId":"d7a1c0e2f3","score":1e2,"big":12345678901234567890123,"neg":-0.000,"ok":true,"none":null}`
	in := fill(tmpl, map[string]string{"far": `"` + farB64 + `"`, "near": `"` + nearB64 + `"`, "front": `"` + frontB64 + `"`})
	want := fill(tmpl, map[string]string{
		"far":   summary(farB64, len(far)),
		"near":  summary(nearB64, len(near)),
		"front": summary(frontB64, len(front)),
	})

	body, _ := encode(t, sink.Encoder{}, withResult(in))
	if got := resultOf(t, body); got != marshaled(t, want) {
		t.Errorf("result\n%s\nwant\n%s", got, want)
	}
	if len(body) > 2000 {
		t.Errorf("body is %d bytes: images were not replaced", len(body))
	}

	// IncludeImages sends the result as received.
	body, _ = encode(t, sink.Encoder{IncludeImages: true}, withResult(in))
	if got := resultOf(t, body); got != marshaled(t, in) {
		t.Errorf("IncludeImages changed the result")
	}
}

// A ZOLOZ-shaped result (RealId checkresult): images at several depths,
// including an array of images.
func TestImagesZolozResult(t *testing.T) {
	t.Parallel()
	faceImg, frontPageImg, backPageImg, content := imageBytes(4, 5000), imageBytes(5, 7000), imageBytes(6, 6999), imageBytes(7, 1000)
	b64 := base64.StdEncoding.EncodeToString
	tmpl := `{"result":{"resultStatus":"S","resultCode":"SUCCESS","resultMessage":"Success"},"ekycResult":"SUCCESS",` +
		`"extBasicInfo":{"certType":"08520000001","certNo":"A1234567","certName":"` + personalMarker + `"},` +
		`"extIdInfo":{"ocrResult":{"NAME":"` + personalMarker + `","ID_NUMBER":"A1234567"},"frontPageImg":{{front}},"backPageImg":{{back}},` +
		`"spoofResult":{"SCREEN_REMARKING_CHECK":"Y","TAMPER_CHECK":"Y"}},` +
		`"extFaceInfo":{"faceImg":{{face}},"faceScore":95.30,"faceAttack":false,"faceQuality":"85.0"},` +
		`"extInfo":{"imageContent":{{content}},"retryCount":0,"certImgs":[{{front}},{{back}}]}}`
	in := fill(tmpl, map[string]string{
		"face": `"` + b64(faceImg) + `"`, "front": `"` + b64(frontPageImg) + `"`,
		"back": `"` + b64(backPageImg) + `"`, "content": `"` + b64(content) + `"`,
	})
	want := fill(tmpl, map[string]string{
		"face":    summary(b64(faceImg), len(faceImg)),
		"front":   summary(b64(frontPageImg), len(frontPageImg)),
		"back":    summary(b64(backPageImg), len(backPageImg)),
		"content": summary(b64(content), len(content)),
	})
	body, _ := encode(t, sink.Encoder{}, withResult(in))
	if got := resultOf(t, body); got != want {
		t.Errorf("result\n%s\nwant\n%s", got, want)
	}

	// CloudEvents carries the same data.
	body, _ = encode(t, sink.Encoder{Format: sink.FormatCloudEvents}, withResult(in))
	if !strings.Contains(body, `"data":{`) || !strings.Contains(body, want) {
		t.Errorf("CloudEvents data does not hold the replaced result: %.300s", body)
	}
}

func TestImagesEdgeCases(t *testing.T) {
	t.Parallel()
	img := imageBytes(8, 600)
	std := base64.StdEncoding.EncodeToString(img)
	rawURL := base64.RawURLEncoding.EncodeToString(img)
	// MIME-style base64 with line breaks, sent JSON-escaped.
	var mime strings.Builder
	for i := 0; i < len(std); i += 76 {
		mime.WriteString(std[i:min(i+76, len(std))])
		mime.WriteString("\r\n")
	}
	dataURI := "data:image/jpeg;base64," + std
	longText := strings.Repeat("not an image, just words ", 20)

	for _, tc := range []struct {
		name, in, want string
	}{
		{"std", `{"faceImg":"` + std + `"}`, `{"faceImg":` + summary(std, len(img)) + `}`},
		{"raw url-safe", `{"docBackImage":"` + rawURL + `"}`, `{"docBackImage":` + summary(rawURL, len(img)) + `}`},
		{"line breaks", `{"photo":` + mustJSON(mime.String()) + `}`, `{"photo":` + summary(mime.String(), len(img)) + `}`},
		{"escaped slashes", `{"portraitImage":"` + strings.ReplaceAll(std, "/", `\/`) + `"}`, `{"portraitImage":` + summary(std, len(img)) + `}`},
		{"data uri", `{"selfie":"` + dataURI + `"}`, `{"selfie":` + summary(dataURI, len(img)) + `}`},
		{"case and escaped key", `{"FACE\u0049MG":"` + std + `"}`, `{"FACE\u0049MG":` + summary(std, len(img)) + `}`},
		{"array of images", `{"images":["` + std + `","` + std + `"]}`, `{"images":[` + summary(std, len(img)) + `,` + summary(std, len(img)) + `]}`},
		{"under an image object", `{"idPhoto":{"content":"` + std + `","format":"jpeg"}}`, `{"idPhoto":{"content":` + summary(std, len(img)) + `,"format":"jpeg"}}`},
		{"top-level array", `[{"img":"` + std + `"},1.0]`, `[{"img":` + summary(std, len(img)) + `},1.0]`},
		{"whitespace", "{ \"faceImg\" :\n \"" + std + "\" , \"n\" : 1.50 }", `{"faceImg":` + summary(std, len(img)) + `,"n":1.50}`},
		// Kept as they are:
		{"url", `{"faceImageUrl":"https://example.com/` + strings.Repeat("x", 300) + `"}`, ""},
		{"short", `{"faceImg":"aGVsbG8gd29ybGQ="}`, ""},
		{"text", `{"imageComment":"` + longText + `"}`, ""},
		{"not an image key", `{"signature":"` + std + `"}`, ""},
		{"number under image key", `{"imageCount":12345678901234567890.000}`, ""},
		{"non-base64 data uri", `{"image":"data:text/plain,` + longText + `"}`, ""},
		{"scalar result", `"` + std + `"`, ""},
		{"empty containers", `{"images":[],"photo":{}}`, ""},
	} {
		want := tc.want
		if want == "" {
			want = tc.in
			// The body is compact; inputs kept as they are hold no
			// whitespace between tokens.
		}
		body, _ := encode(t, sink.Encoder{}, withResult(tc.in))
		if got := resultOf(t, body); got != want {
			t.Errorf("%s:\n got %.400s\nwant %.400s", tc.name, got, want)
		}
	}
}

func mustJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Hostile nesting neither blows the stack nor loses data: images are
// replaced down to the depth limit and kept below it.
func TestImagesDeepNesting(t *testing.T) {
	t.Parallel()
	std := base64.StdEncoding.EncodeToString(imageBytes(9, 400))
	nest := func(depth int, inner string) string {
		return strings.Repeat(`{"a":[`, depth) + inner + strings.Repeat(`]}`, depth)
	}
	leaf := `{"faceImg":"` + std + `"}`

	shallow := nest(10, leaf)
	body, _ := encode(t, sink.Encoder{}, withResult(shallow))
	if got := resultOf(t, body); strings.Contains(got, std) {
		t.Error("image 20 levels deep was not replaced")
	}

	deep := nest(100, leaf)
	body, _ = encode(t, sink.Encoder{}, withResult(deep))
	if got := resultOf(t, body); got != deep {
		t.Error("image 200 levels deep changed; it should be left as is")
	}

	// Nesting as deep as encoding/json accepts (10000 levels), next to an
	// image.
	hostile := strings.Repeat("[", 9000) + strings.Repeat("]", 9000)
	body, _ = encode(t, sink.Encoder{}, withResult(`{"x":`+hostile+`,"faceImg":"`+std+`"}`))
	if got := resultOf(t, body); strings.Contains(got, std) || !strings.Contains(got, hostile) {
		t.Error("image next to deep nesting not replaced, or the nesting changed")
	}

	// Deeper than that is not JSON encoding/json can send: an error, not a
	// crash.
	tooDeep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	for _, enc := range []sink.Encoder{{}, {IncludeImages: true}} {
		if _, _, err := enc.Encode(withResult(tooDeep)); err == nil {
			t.Errorf("%+v: 200000 levels of nesting encoded", enc)
		}
	}
}

// Images of different sizes in one result, and in results encoded one
// after the other, are each measured on their own; a base64-looking string
// that does not decode is summarised with its text length; long keys are
// read like short ones.
func TestImagesSizesAcrossResults(t *testing.T) {
	t.Parallel()
	big := base64.StdEncoding.EncodeToString(imageBytes(10, 5000))
	small := base64.RawURLEncoding.EncodeToString(imageBytes(11, 700))
	mixed := strings.Repeat("ab+_", 100) // both alphabets: decodes in none
	longKey := strings.Repeat("x", 80) + "Image"
	in := `{"faceImg":"` + big + `","docImg":"` + small + `","selfie":"` + mixed + `","` + longKey + `":"` + small + `"}`
	want := `{"faceImg":` + summary(big, 5000) + `,"docImg":` + summary(small, 700) +
		`,"selfie":` + summary(mixed, len(mixed)) + `,"` + longKey + `":` + summary(small, 700) + `}`
	for i := range 3 {
		body, _ := encode(t, sink.Encoder{}, withResult(in))
		if got := resultOf(t, body); got != want {
			t.Fatalf("run %d:\n got %.400s\nwant %.400s", i, got, want)
		}
		// A smaller image alone after the larger ones.
		body, _ = encode(t, sink.Encoder{}, withResult(`{"photo":"`+small+`"}`))
		if got := resultOf(t, body); got != `{"photo":`+summary(small, 700)+`}` {
			t.Fatalf("run %d: small image alone: %.400s", i, got)
		}
	}
}
