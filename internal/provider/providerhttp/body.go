package providerhttp

import (
	"bytes"
	"errors"
	"io"
	"net/http"
)

// Chunk sizes of ReadBody: small answers cost one small buffer, large ones
// grow in steps without the repeated copying of io.ReadAll.
const (
	firstReadChunk = 16 << 10
	maxReadChunk   = 1 << 20
)

// ReadBody reads resp's body, at most max bytes. tooLarge reports a body
// longer than max, announced or found while reading; only about max bytes
// are ever held for it. A body of announced length is read into one buffer
// of that length.
func ReadBody(resp *http.Response, max int64) (body []byte, tooLarge bool, err error) {
	if n := resp.ContentLength; n >= 0 {
		if n > max {
			return nil, true, nil
		}
		// The transport stops at the announced length, and reports a
		// shorter body as io.ErrUnexpectedEOF.
		body = make([]byte, n)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, false, err
		}
		return body, false, nil
	}
	var chunks [][]byte
	var total int64
	size := int64(firstReadChunk)
	for {
		c := make([]byte, min(size, max+1-total))
		n, err := io.ReadFull(resp.Body, c)
		chunks = append(chunks, c[:n])
		total += int64(n)
		if total > max {
			return nil, true, nil
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, false, err
		}
		size = min(2*size, maxReadChunk)
	}
	if len(chunks) == 1 {
		return chunks[0], false, nil
	}
	return bytes.Join(chunks, nil), false, nil
}
