package advancefake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
)

// The fake personal data every result body carries, recognisable so that
// tests can scan logs and errors for leaks.
const (
	FakeFullName       = "TEST PERSON ALPHA"
	FakeIDNumber       = "900101-01-1234"
	FakeBirthday       = "1990/01/01"
	FakeFullAddress    = "1 TEST STREET"
	FakeDocumentNumber = "TESTDOC-000042"
	FakeUserID         = "fake-user-7f3a9c"
)

// Messages the fake puts in the envelope's message field. Clients must never
// repeat them.
const (
	MessageNotExist     = "This signatureId is not exist."
	MessageServerError  = "Server error."
	MessageTokenInvalid = "Token not found or expired"
	MessageBusy         = "Service busy, please retry later"
)

// PersonalData lists the personal values (and provider messages) found in the
// fake's bodies: none may appear in a log line or an error string.
func PersonalData() []string {
	return []string{
		FakeFullName, FakeIDNumber, FakeBirthday, FakeFullAddress, FakeDocumentNumber, FakeUserID,
		MessageNotExist, MessageServerError, MessageTokenInvalid, MessageBusy,
	}
}

// envelope renders the provider's response envelope around data (raw JSON).
func envelope(code, message, data string) []byte {
	return []byte(`{"code":` + quote(code) + `,"message":` + quote(message) +
		`,"data":` + data + `,"extra":null,"transactionId":` + quote(randomHex(8)) +
		`,"pricingStrategy":"FREE"}`)
}

// resultBody is a final SUCCESS answer shaped like the provider's examples.
func resultBody(id string, outcome Outcome, errorCode string, base64Images bool, ts int64) []byte {
	face, liveness, similarity := "PASS", "99", "82"
	switch outcome {
	case OutcomeFail:
		face, liveness = "FAIL", "0.0"
	case OutcomeIncomplete:
		face, liveness, similarity = "null", "null", "null"
	}
	if face != "null" {
		face = quote(face)
	}
	r := strings.NewReplacer(
		"{{id}}", quote(id),
		"{{overall}}", quote(string(outcome)),
		"{{errorCode}}", quote(errorCode),
		"{{faceResult}}", face,
		"{{liveness}}", liveness,
		"{{similarity}}", similarity,
		"{{faceImageFar}}", image(id, "faceImageFar", base64Images),
		"{{faceImageNear}}", image(id, "faceImageNear", base64Images),
		"{{auditImage}}", image(id, "auditImage", base64Images),
		"{{docFrontImage}}", image(id, "docFrontImage", base64Images),
		"{{docBackImage}}", image(id, "docBackImage", base64Images),
		"{{ts}}", strconv.FormatInt(ts, 10),
		"{{ocrFront}}", ocrFront,
		"{{ocrBack}}", ocrBack,
		"{{inputParameters}}", inputParameters,
	)
	return envelope("SUCCESS", "OK", r.Replace(finalData))
}

// pendingBody is a SUCCESS answer still in processing: overallResult null,
// partial docDetail.
func pendingBody(id string, base64Images bool, ts int64) []byte {
	r := strings.NewReplacer(
		"{{id}}", quote(id),
		"{{faceImageFar}}", image(id, "faceImageFar", base64Images),
		"{{docFrontImage}}", image(id, "docFrontImage", base64Images),
		"{{ts}}", strconv.FormatInt(ts, 10),
		"{{inputParameters}}", inputParameters,
	)
	return envelope("SUCCESS", "OK", r.Replace(pendingData))
}

// garbageBody is a final answer cut off after the personal data, as a
// dropped connection or a broken proxy would deliver it.
func garbageBody(id string, ts int64) []byte {
	b := resultBody(id, OutcomePass, "SUCCESS", false, ts)
	cut := strings.Index(string(b), FakeFullAddress) + len(FakeFullAddress) + 3
	return b[:cut]
}

const htmlBody = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p></body></html>
`

func image(id, name string, base64Images bool) string {
	if base64Images {
		return quote(base64.StdEncoding.EncodeToString([]byte("fake image bytes: " + name)))
	}
	return quote("https://fake-advance.invalid/images/" + hex.EncodeToString([]byte(id)) + "/" + name + ".jpg")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const finalData = `{
    "signatureId": {{id}},
    "overallResult": {{overall}},
    "submissionCompleted": true,
    "idvResult": {{overall}},
    "errorCode": {{errorCode}},
    "faceDetail": {
      "faceResult": {{faceResult}},
      "faceImageFar": {{faceImageFar}},
      "faceImageNear": {{faceImageNear}},
      "auditImageUrl": {{auditImage}},
      "faceLivenessScore": {{liveness}},
      "faceSimilarityScore": {{similarity}},
      "eventDetails": [
        {"event": "FE_FACE_CAPTURE", "result": "PASS", "createTimestmap": {{ts}}}
      ]
    },
    "docDetail": {
      "ocrResult": "PASS",
      "docFrontImage": {{docFrontImage}},
      "docBackImage": {{docBackImage}},
      "docType": {"front": "MY-ID-MYKAD", "back": "MY-ID-MYKAD"},
      "subDocType": {"front": "MY-ID-MYKAD", "back": "MY-ID-MYKAD"},
      "ocrInfo": {
        "front": {{ocrFront}},
        "back": {{ocrBack}}
      },
      "qualityLabels": {"front": {"isBlur": false, "isDim": false, "isExposure": false}, "back": null},
      "forgeryLabels": [],
      "eventDetails": [
        {"event": "FE_DOCUMENT_SCAN", "result": "PASS", "createTimestmap": {{ts}}}
      ]
    },
    "feeDetail": [{"name": "SOLUTION", "type": "SOLUTION"}],
    "countryCodeIso3": "MYS",
    "inputParameters": {{inputParameters}}
  }`

const pendingData = `{
    "signatureId": {{id}},
    "overallResult": null,
    "submissionCompleted": false,
    "idvResult": null,
    "errorCode": null,
    "faceDetail": {
      "faceResult": "pass",
      "faceImageFar": {{faceImageFar}},
      "faceImageNear": null,
      "auditImageUrl": null,
      "faceLivenessScore": 99,
      "faceSimilarityScore": null,
      "eventDetails": [
        {"event": "FE_FACE_CAPTURE", "result": "PASS", "createTimestmap": {{ts}}}
      ]
    },
    "docDetail": {
      "ocrResult": "PASS",
      "docFrontImage": {{docFrontImage}},
      "docBackImage": null,
      "ocrInfo": {
        "front": {
          "birthday": "` + FakeBirthday + `",
          "name": "**************",
          "birthdayParsed": "` + FakeBirthday + `",
          "idNumber": "90****-**-****"
        },
        "back": null
      },
      "qualityLabels": {"front": null, "back": null},
      "forgeryLabels": null,
      "eventDetails": [
        {"event": "FE_DOCUMENT_SCAN", "result": "PASS", "createTimestmap": {{ts}}}
      ]
    },
    "feeDetail": [{"name": "SOLUTION", "type": "SOLUTION"}],
    "countryCodeIso3": "MYS",
    "inputParameters": {{inputParameters}}
  }`

const ocrFront = `{
          "idNumber": "` + FakeIDNumber + `",
          "documentNumber": null,
          "fullName": "` + FakeFullName + `",
          "fullNameLocal": null,
          "lastName": null,
          "firstName": null,
          "middleName": null,
          "birthday": "` + FakeBirthday + `",
          "expiryDate": null,
          "issueDate": null,
          "state": null,
          "city": null,
          "fullAddress": "` + FakeFullAddress + `",
          "postcode": null,
          "placeOfBirth": null,
          "gender": "FEMALE",
          "religion": "",
          "nationality": null,
          "others": {},
          "side": "front",
          "genderLocal": "PEREMPUAN",
          "nationalityLocal": null
        }`

const ocrBack = `{
          "idNumber": null,
          "documentNumber": "` + FakeDocumentNumber + `",
          "fullName": null,
          "birthday": null,
          "fullAddress": null,
          "gender": null,
          "others": {},
          "side": "back",
          "genderLocal": "PEREMPUAN",
          "nationalityLocal": null
        }`

const inputParameters = `{
      "returnUrl": "https://merchant.invalid/return",
      "failReturnUrl": "https://merchant.invalid/fail",
      "callbackUrl": "https://merchant.invalid/callback",
      "bizId": "fake-biz-0001",
      "userId": "` + FakeUserID + `",
      "region": "MYS",
      "language": "en-US",
      "prefersColorScheme": "light",
      "ignoreFailWhenJump": false,
      "bizCode": "WhiteCard",
      "docType": null,
      "productLevel": "STANDARD"
    }`
