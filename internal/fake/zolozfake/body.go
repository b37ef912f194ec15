package zolozfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// The fake personal data answers carry, recognisable so that tests can scan
// logs and errors for leaks.
const (
	FakeName      = "TEST PERSON ZULU"
	FakeIDNumber  = "Z1234567"
	FakeBirthday  = "1991-02-03"
	FakeAddress   = "9 FAKE ROAD"
	FakeExpiry    = "2031-04-05"
	FakeRiskUser  = "idn-fakeuser-0042"
	MessageMarker = "FAKE-ZOLOZ-MESSAGE"
)

// PersonalData lists the personal values found in the fake's answers, and
// the marker every error resultMessage starts with: none may appear in a log
// line or an error string.
func PersonalData() []string {
	return []string{FakeName, FakeIDNumber, FakeBirthday, FakeAddress, FakeExpiry, FakeRiskUser, MessageMarker}
}

// imageBytes is the size of a fake image before base64, about what a
// compressed ID photo weighs.
const imageBytes = 150 << 10

// fakeImage returns a base64 "JPEG" of realistic size.
func fakeImage() string {
	b := make([]byte, imageBytes)
	_, _ = rand.Read(b)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0}) // JPEG start of image, as in "/9j/4..."
	return base64.StdEncoding.EncodeToString(b)
}

// The answer's shape, in the order of the API reference's sample.
type (
	envelope struct {
		ResultCode    string `json:"resultCode"`
		ResultMessage string `json:"resultMessage"`
		ResultStatus  string `json:"resultStatus"`
	}
	checkResultAnswer struct {
		Result       envelope      `json:"result"`
		EkycResult   string        `json:"ekycResult,omitempty"`
		ExtBasicInfo *extBasicInfo `json:"extBasicInfo,omitempty"`
		ExtFaceInfo  *extFaceInfo  `json:"extFaceInfo,omitempty"`
		ExtIDInfo    *extIDInfo    `json:"extIdInfo,omitempty"`
		ExtRiskInfo  *extRiskInfo  `json:"extRiskInfo,omitempty"`
	}
	extBasicInfo struct {
		CertType string `json:"certType"`
		CertNo   string `json:"certNo"`
		CertName string `json:"certName"`
	}
	extFaceInfo struct {
		EkycResultFace     string            `json:"ekycResultFace"`
		FaceScore          *int              `json:"faceScore,omitempty"`
		FaceImg            string            `json:"faceImg,omitempty"`
		ExtraImages        map[string]string `json:"extraImages,omitempty"`
		FaceQuality        *float64          `json:"faceQuality,omitempty"`
		FaceLivenessResult string            `json:"faceLivenessResult,omitempty"`
		EstimatedAge       *int              `json:"estimatedAge,omitempty"`
	}
	extIDInfo struct {
		EkycResultDoc           string             `json:"ekycResultDoc"`
		DocEdition              int                `json:"docEdition"`
		FrontPageImg            string             `json:"frontPageImg,omitempty"`
		BackPageImg             string             `json:"backPageImg,omitempty"`
		ExtraImages             map[string]string  `json:"extraImages,omitempty"`
		OCRResult               map[string]string  `json:"ocrResult"`
		SpoofResult             map[string]string  `json:"spoofResult"`
		ExtraSpoofResultDetails []extraSpoofDetail `json:"extraSpoofResultDetails,omitempty"`
		DocErrorDetails         string             `json:"docErrorDetails,omitempty"`
	}
	extraSpoofDetail struct {
		Name       string           `json:"name"`
		Result     string           `json:"result"`
		SpoofType  string           `json:"spoofType"`
		Components []spoofComponent `json:"components"`
	}
	spoofComponent struct {
		Name      string `json:"name"`
		SubResult string `json:"subResult"`
	}
	extRiskInfo struct {
		EkycResultRisk     string `json:"ekycResultRisk"`
		StrategyPassResult string `json:"strategyPassResult,omitempty"`
		IDNetworkDetails   string `json:"idNetworkDetails,omitempty"`
	}
)

// bodyOptions are the request's wishes that shape an answer.
type bodyOptions struct {
	images  string // a base64 image, or "" for none
	extra   []string
	fiveCat bool
}

// errorBody is an answer without a result: F or U with code.
func errorBody(status, code, message string) []byte {
	return marshal(checkResultAnswer{Result: envelope{
		ResultCode:    code,
		ResultMessage: MessageMarker + " " + message,
		ResultStatus:  status,
	}})
}

// resultBody is a SUCCESS answer whose ekycResult is ekyc, with the details
// the provider would have at that point.
func resultBody(ekyc string, o bodyOptions) []byte {
	a := checkResultAnswer{
		Result:       envelope{ResultCode: "SUCCESS", ResultMessage: "Success", ResultStatus: "S"},
		EkycResult:   ekyc,
		ExtBasicInfo: &extBasicInfo{CertType: "00000001003", CertNo: FakeIDNumber, CertName: FakeName},
		ExtIDInfo:    idInfo("Success", o),
	}
	switch Outcome(ekyc) {
	case OutcomeSuccess:
		a.ExtFaceInfo = faceInfo("Success", 92, o)
		a.ExtRiskInfo = &extRiskInfo{EkycResultRisk: "Success", StrategyPassResult: "PASS"}
	case OutcomeFailure:
		a.ExtFaceInfo = faceInfo("Failure", 31, o)
		a.ExtRiskInfo = &extRiskInfo{
			EkycResultRisk:     "Failure",
			StrategyPassResult: "ID_NETWORK_HIGH_RISK",
			IDNetworkDetails:   `[{"ekyc_id":"","mobile":"","reason_code":["SIMILAR_FACE"],"type":"Fake ID","user_id":"` + FakeRiskUser + `"}]`,
		}
	case OutcomeVoidTimeout:
		// The user left after the document: no face, no risk check.
		a.ExtIDInfo.DocErrorDetails = "BLUR"
	case OutcomeVoidCancelled:
		a.ExtIDInfo.EkycResultDoc = "Pending"
	default: // Pending, InProcess
		a.ExtFaceInfo = &extFaceInfo{EkycResultFace: "Pending"}
		a.ExtRiskInfo = &extRiskInfo{EkycResultRisk: "Pending"}
	}
	return marshal(a)
}

func faceInfo(result string, score int, o bodyOptions) *extFaceInfo {
	quality, age := 97.61517973846627, 34
	f := &extFaceInfo{
		EkycResultFace:     result,
		FaceScore:          &score,
		FaceImg:            o.images,
		FaceQuality:        &quality,
		FaceLivenessResult: result,
		EstimatedAge:       &age,
	}
	f.ExtraImages = extraImages(o, "FACE_EYE_CLOSE", "CROPPED_FACE")
	return f
}

func idInfo(result string, o bodyOptions) *extIDInfo {
	info := &extIDInfo{
		EkycResultDoc: result,
		DocEdition:    1,
		FrontPageImg:  o.images,
		BackPageImg:   o.images,
		OCRResult: map[string]string{
			"NAME":          FakeName,
			"ID_NUMBER":     FakeIDNumber,
			"DATE_OF_BIRTH": FakeBirthday,
			"ADDRESS":       FakeAddress,
			"EXPIRY_DATE":   FakeExpiry,
			"SEX":           "F",
			"NATIONALITY":   "ZZZ",
		},
		SpoofResult: map[string]string{"TAMPER_CHECK": "Y", "MATERIAL_CHECK": "Y", "SCREEN_RECAPTURE_CHECK": "Y"},
	}
	if o.fiveCat {
		info.SpoofResult["INFORMATION_CHECK"] = "Y"
		info.SpoofResult["SECURITY_FEATURE_CHECK"] = "Y"
		info.ExtraSpoofResultDetails = []extraSpoofDetail{{
			Name: "hologramCheck", Result: "Y", SpoofType: "SECURITY_FEATURE_CHECK",
			Components: []spoofComponent{{Name: "hologram", SubResult: "Y"}},
		}}
	} else {
		info.SpoofResult["OTHER_CHECK"] = "Y"
	}
	info.ExtraImages = extraImages(o, "DOC_FRONT_ANGLE", "DOC_FRONT_FLASH", "DOC_BACK_ANGLE", "DOC_BACK_FLASH")
	return info
}

// extraImages answers the requested extra images among names; "" when the
// request asked for no images at all.
func extraImages(o bodyOptions, names ...string) map[string]string {
	if o.images == "" {
		return nil
	}
	m := make(map[string]string)
	for _, want := range o.extra {
		for _, n := range names {
			if want == n {
				m[n] = o.images
			}
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// garbageBody is a final answer cut off after the personal data, as a broken
// proxy would deliver it.
func garbageBody() []byte {
	b := resultBody(string(OutcomeSuccess), bodyOptions{})
	cut := strings.Index(string(b), FakeAddress) + len(FakeAddress) + 3
	return b[:cut]
}

// tamper changes one byte of an answer: the case of the first letter of its
// resultMessage. The JSON stays valid and means the same; only the signature
// tells.
func tamper(body []byte) []byte {
	b := append([]byte(nil), body...)
	i := strings.Index(string(b), `"resultMessage":"`)
	if i < 0 || i+17 >= len(b) {
		b[len(b)-1] ^= 0x20
		return b
	}
	b[i+17] ^= 0x20 // ASCII letter case
	return b
}

const htmlBody = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p></body></html>
`

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("zolozfake: " + err.Error()) // only our own types
	}
	return b
}
