package sink

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kycpoller/kycpoller/internal/event"
)

// Format is the shape of the body a sink sends.
type Format string

// Body formats.
const (
	// FormatDefault is the event's own JSON encoding:
	// {"type":...,"timestamp":...,"data":{...}}. The event id is not in the
	// body; each sink carries it in its own id field.
	FormatDefault Format = ""
	// FormatCloudEvents is a CloudEvents 1.0 event in structured JSON mode,
	// whose "id" attribute is the event id.
	FormatCloudEvents Format = "cloudevents"
)

// Content types of the formats.
const (
	ContentTypeJSON        = "application/json"
	ContentTypeCloudEvents = "application/cloudevents+json"
)

// CloudEvents attributes that do not depend on the event.
const (
	cloudEventsSpecVersion = "1.0"
	cloudEventsSourceRoot  = "kycpoller/"
)

// Encoder turns an event into the body a sink sends. The zero value gives
// the default format, with the provider's result, and with images replaced by
// their size and digest (see IncludeImages).
//
// An Encoder only reads the event; it is safe for concurrent use.
type Encoder struct {
	// Format is the body's shape (default FormatDefault).
	Format Format
	// OmitResult sends data.result as JSON null, for receivers that fetch
	// the result themselves or must not hold it.
	OmitResult bool
	// IncludeImages sends the result as the provider returned it. When
	// false, every base64 image in the result (a long base64 string under
	// an image-like key such as faceImg or docFrontImage) is replaced by
	// {"bytes": <decoded size>, "sha256": "<hex digest of the base64 text>"},
	// which keeps bodies small and biometric data out of queues and logs.
	IncludeImages bool
}

// Validate reports an unknown Format.
func (e Encoder) Validate() error {
	switch e.Format {
	case FormatDefault, FormatCloudEvents:
		return nil
	}
	return fmt.Errorf("unknown Format %q (want %q or %q)", e.Format, FormatDefault, FormatCloudEvents)
}

// errInvalidResult is returned for an event whose result is not JSON. The
// decoder's own message is not kept: it quotes the offending bytes.
var errInvalidResult = errors.New("event data.result is not valid JSON")

// Encode returns ev's body and its content type. Errors never quote event
// data; they are final for this event (a sink reports them as a
// *PermanentError).
func (e Encoder) Encode(ev *event.Event) (body []byte, contentType string, err error) {
	if ev == nil {
		return nil, "", errors.New("no event to encode")
	}
	if err := e.Validate(); err != nil {
		return nil, "", err
	}
	data := ev.Data
	switch {
	case e.OmitResult:
		data.Result = json.RawMessage("null")
	case !e.IncludeImages:
		if data.Result, err = replaceImages(data.Result); err != nil {
			return nil, "", err
		}
	}

	var v any
	switch e.Format {
	case FormatCloudEvents:
		if ev.ID == "" || ev.Type == "" {
			return nil, "", errors.New("a CloudEvents event needs an event id and type")
		}
		ce := cloudEvent{
			SpecVersion:     cloudEventsSpecVersion,
			ID:              ev.ID,
			Source:          cloudEventsSourceRoot + ev.Data.Provider,
			Type:            ev.Type,
			DataContentType: ContentTypeJSON,
			Subject:         ev.Data.Provider + "/" + ev.Data.VerificationID,
			Data:            data,
		}
		if !ev.Timestamp.IsZero() {
			ts := ev.Timestamp.UTC()
			ce.Time = &ts
		}
		v, contentType = ce, ContentTypeCloudEvents
	default:
		out := *ev
		out.Data = data
		v, contentType = &out, ContentTypeJSON
	}
	body, err = json.Marshal(v)
	if err != nil {
		if len(data.Result) > 0 && !json.Valid(data.Result) {
			return nil, "", errInvalidResult
		}
		// The encoder's message can quote the offending data, so only its
		// type is kept.
		return nil, "", fmt.Errorf("event does not encode as JSON (%T)", err)
	}
	return body, contentType, nil
}

// encodeEvent checks that ev can be delivered at all and encodes it. Its
// errors are *PermanentError: the same event fails the same way every time.
func encodeEvent(enc Encoder, ev *event.Event) (body []byte, contentType string, err error) {
	if ev == nil || ev.ID == "" {
		return nil, "", &PermanentError{Err: errors.New("event has no id")}
	}
	body, contentType, err = enc.Encode(ev)
	if err != nil {
		return nil, "", &PermanentError{Err: err}
	}
	return body, contentType, nil
}

// cloudEvent is a CloudEvents 1.0 event in structured JSON mode. The field
// order is the order of the attributes in the body.
type cloudEvent struct {
	SpecVersion     string     `json:"specversion"`
	ID              string     `json:"id"`
	Source          string     `json:"source"`
	Type            string     `json:"type"`
	Time            *time.Time `json:"time,omitempty"`
	DataContentType string     `json:"datacontenttype"`
	Subject         string     `json:"subject"`
	Data            event.Data `json:"data"`
}
