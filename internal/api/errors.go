package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kycpoller/kycpoller/internal/verification"
)

// Field is one invalid field of a request.
type Field struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// errorBody is every error response: {"error": "...", "fields": [...]}.
type errorBody struct {
	Error  string  `json:"error"`
	Fields []Field `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string, fields []Field) {
	writeJSON(w, code, errorBody{Error: msg, Fields: fields})
}

// fieldErrors collects the *verification.FieldError values joined in err;
// ok is false when err holds none.
func fieldErrors(err error) (fields []Field, ok bool) {
	var walk func(error)
	walk = func(e error) {
		if j, isJoin := e.(interface{ Unwrap() []error }); isJoin {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *verification.FieldError
		if errors.As(e, &fe) {
			fields = append(fields, Field{Field: fe.Field, Reason: fe.Reason})
		}
	}
	walk(err)
	return fields, len(fields) > 0
}

// maxFieldNameBytes is the longest unknown field name an error repeats.
const maxFieldNameBytes = 64

// errTooLarge marks a body over MaxBodyBytes.
var errTooLarge = errors.New("request body too large")

// decodeBody decodes one JSON object from r's body, at most MaxBodyBytes,
// into v. strict rejects unknown fields. The error is errTooLarge or a
// *verification.FieldError naming the field at fault ("body" for
// malformed JSON).
func decodeBody(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil {
		// Exactly one value: anything after it is an error.
		var extra json.RawMessage
		if err = dec.Decode(&extra); errors.Is(err, io.EOF) {
			return nil
		} else if err == nil {
			err = errors.New("more than one JSON value")
		}
	}
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return &verification.FieldError{Field: typeErr.Field, Reason: fmt.Sprintf("must be a JSON %s (got %s)", typeErr.Type.Kind(), typeErr.Value)}
	case errors.Is(err, io.EOF):
		return &verification.FieldError{Field: "body", Reason: "is empty: want a JSON object"}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if name == "" || len(name) > maxFieldNameBytes {
			// Not a name worth repeating: no field of ours has one like it.
			return &verification.FieldError{Field: "body", Reason: fmt.Sprintf("has an unknown field (a name of %d bytes)", len(name))}
		}
		return &verification.FieldError{Field: name, Reason: "unknown field"}
	}
	return &verification.FieldError{Field: "body", Reason: "is not a JSON object: " + err.Error()}
}

// writeDecodeError answers a decodeBody error.
func writeDecodeError(w http.ResponseWriter, err error) {
	if errors.Is(err, errTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes), nil)
		return
	}
	fields, _ := fieldErrors(err)
	writeError(w, http.StatusBadRequest, "invalid request", fields)
}

// statusOnly is a ResponseWriter that keeps the status code and drops the
// body: ServeHTTP lets the mux choose the status of a request no route takes
// (and set Allow) and writes the body itself.
type statusOnly struct {
	header http.Header
	code   int
}

func (s *statusOnly) Header() http.Header { return s.header }

func (s *statusOnly) Write(b []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (s *statusOnly) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
}
