package sink

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// Limits of the image replacement.
const (
	// minImageLen is the length above which a base64 string under an
	// image-like key is taken for an image; shorter ones are ids, hashes or
	// thumbnails not worth hiding.
	minImageLen = 256
	// maxImageDepth bounds how deep the result is walked, so that hostile
	// nesting cannot exhaust the stack. Deeper values are sent as they are.
	maxImageDepth = 64
)

// replaceImages returns result with every image string replaced by its size
// and digest (see Encoder.IncludeImages). Providers differ, so the result is
// walked generically: a string is an image when its key, or the key of an
// enclosing object or array, looks like an image field (isImageKey) and the
// string is long base64 (imageSummary). Everything else keeps its bytes:
// numbers are not reformatted and key order is kept. A result without images
// is returned unchanged.
func replaceImages(result json.RawMessage) (json.RawMessage, error) {
	if len(result) == 0 {
		return result, nil
	}
	if !json.Valid(result) {
		return nil, errInvalidResult
	}
	out, changed := walkImages(result, false, 0)
	if !changed {
		return result, nil
	}
	return out, nil
}

// walkImages rewrites the valid JSON value v. inImage tells whether v sits
// under an image-like key. It reports whether anything was replaced; when
// not, v is returned as is.
func walkImages(v []byte, inImage bool, depth int) ([]byte, bool) {
	v = trimJSONSpace(v)
	if len(v) == 0 {
		return v, false
	}
	switch v[0] {
	case '"':
		if inImage {
			if s, ok := imageSummary(v); ok {
				return s, true
			}
		}
		return v, false
	case '{', '[':
		if depth >= maxImageDepth {
			return v, false
		}
		return walkContainer(v, inImage, depth)
	default:
		return v, false
	}
}

// walkContainer rewrites the members of an object or the elements of an
// array. Only a container holding a replaced image is rebuilt; the rebuilt
// one drops the whitespace between its tokens.
func walkContainer(v []byte, inImage bool, depth int) ([]byte, bool) {
	isObject := v[0] == '{'
	type part struct {
		key []byte // raw JSON string, objects only
		val []byte
	}
	var parts []part
	changed := false
	i := 1
	for {
		i = skipJSONSpace(v, i)
		if i >= len(v) || v[i] == '}' || v[i] == ']' {
			break
		}
		var p part
		image := inImage
		if isObject {
			start := i
			i = jsonStringEnd(v, i)
			p.key = v[start:i]
			image = image || isImageKey(p.key)
			i = skipJSONSpace(v, i) + 1 // the colon
			i = skipJSONSpace(v, i)
		}
		start := i
		i = jsonValueEnd(v, i)
		val, ch := walkImages(v[start:i], image, depth+1)
		p.val = val
		changed = changed || ch
		parts = append(parts, p)
		i = skipJSONSpace(v, i)
		if i < len(v) && v[i] == ',' {
			i++
		}
	}
	if !changed {
		return v, false
	}
	size := 2 // the brackets
	for _, p := range parts {
		size += len(p.key) + 1 + len(p.val) + 1
	}
	out := make([]byte, 0, size)
	out = append(out, v[0])
	for n, p := range parts {
		if n > 0 {
			out = append(out, ',')
		}
		if isObject {
			out = append(out, p.key...)
			out = append(out, ':')
		}
		out = append(out, p.val...)
	}
	if isObject {
		out = append(out, '}')
	} else {
		out = append(out, ']')
	}
	return out, true
}

// isImageKey reports whether a raw JSON object key names an image field,
// case-insensitively: it ends with "img" or "imgs", starts with "img", or
// contains "image", "photo", "portrait" or "selfie" (faceImg, frontPageImg,
// docFrontImage, faceImageFar, imageContent, idPhoto, ...).
func isImageKey(rawKey []byte) bool {
	var buf [64]byte
	var key []byte
	if text, ok := plainString(rawKey); ok && len(text) <= len(buf) {
		// The common case: lower-case a short key without escapes in
		// place of decoding it.
		key = buf[:len(text)]
		for i, c := range text {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			key[i] = c
		}
	} else {
		var s string
		if err := json.Unmarshal(rawKey, &s); err != nil {
			return false
		}
		key = []byte(strings.ToLower(s))
	}
	if bytes.HasSuffix(key, []byte("img")) || bytes.HasSuffix(key, []byte("imgs")) || bytes.HasPrefix(key, []byte("img")) {
		return true
	}
	for _, word := range imageWords {
		if bytes.Contains(key, word) {
			return true
		}
	}
	return false
}

var imageWords = [][]byte{[]byte("image"), []byte("photo"), []byte("portrait"), []byte("selfie")}

// plainString returns the text of the raw JSON string v when it holds
// printable ASCII without escapes, the text being then v's own bytes
// between the quotes. Other strings need decoding.
func plainString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	text := v[1 : len(v)-1]
	for _, c := range text {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false
		}
	}
	return text, true
}

// imageSummary returns the replacement of the raw JSON string v when v holds
// an image: more than minImageLen bytes of base64 (line breaks allowed), or a
// base64 data: URI. http(s) URLs and other text are not images.
func imageSummary(v []byte) ([]byte, bool) {
	// Images are read in place: only a string with escapes (such as "\/"
	// or "\n") is decoded into a copy.
	s, ok := plainString(v)
	if !ok {
		var decoded string
		if err := json.Unmarshal(v, &decoded); err != nil {
			return nil, false
		}
		s = []byte(decoded)
	}
	if len(s) <= minImageLen {
		return nil, false
	}
	if hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://") {
		return nil, false // a link to the image, such as auditImageUrl
	}
	payload := s
	if hasPrefixFold(s, "data:") {
		comma := bytes.IndexByte(s, ',')
		if comma < 0 || !bytes.HasSuffix(bytes.ToLower(s[:comma]), []byte(";base64")) {
			return nil, false
		}
		payload = s[comma+1:]
	}
	if !isBase64ish(payload) {
		return nil, false
	}
	sum := sha256.Sum256(s)
	out := make([]byte, 0, 96)
	out = append(out, `{"bytes":`...)
	out = strconv.AppendInt(out, int64(decodedLen(payload, len(s))), 10)
	out = append(out, `,"sha256":"`...)
	out = hex.AppendEncode(out, sum[:])
	out = append(out, `"}`...)
	return out, true
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// in any case.
func hasPrefixFold(s []byte, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(string(s[:len(prefix)]), prefix)
}

// base64Chars marks the bytes isBase64ish accepts.
var base64Chars = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=\r\n") {
		t[c] = true
	}
	return t
}()

// isBase64ish reports whether s is made of the standard or URL-safe base64
// alphabet, padding and line breaks only. URLs fail on ':' and '.'.
func isBase64ish(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !base64Chars[c] {
			return false
		}
	}
	return true
}

// decodeBuffers hold the scratch space decodedLen decodes into, so that
// measuring an image does not allocate a copy of it.
var decodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// decodedLen is the size of the image the base64 text s encodes, or
// fallback when s does not decode.
func decodedLen(s []byte, fallback int) int {
	if bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		clean := make([]byte, 0, len(s))
		for _, c := range s {
			if c != '\r' && c != '\n' {
				clean = append(clean, c)
			}
		}
		s = clean
	}
	bp := decodeBuffers.Get().(*[]byte)
	defer decodeBuffers.Put(bp)
	if need := base64.RawStdEncoding.DecodedLen(len(s)); cap(*bp) < need {
		*bp = make([]byte, need)
	}
	buf := (*bp)[:cap(*bp)]
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if n, err := enc.Decode(buf, s); err == nil {
			return n
		}
	}
	return fallback
}

// The scanners below assume valid JSON (replaceImages checks it first) and
// never recurse, so they are safe on any nesting.

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

func trimJSONSpace(b []byte) []byte {
	start := skipJSONSpace(b, 0)
	end := len(b)
	for end > start && isJSONSpace(b[end-1]) {
		end--
	}
	return b[start:end]
}

// jsonStringEnd returns the index just past the string starting at b[i].
func jsonStringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// jsonValueEnd returns the index just past the value starting at b[i].
func jsonValueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return jsonStringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = jsonStringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && !isJSONSpace(b[j]) {
			j++
		}
		return j
	}
}
