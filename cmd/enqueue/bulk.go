package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kycpoller/kycpoller/internal/tasks"
)

// maxLineBytes bounds one bulk line; a reference line is a few hundred bytes.
const maxLineBytes = 64 << 10

// bulkLine is one line of a bulk file.
type bulkLine struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	BizID    string `json:"biz_id"`
	Sink     string `json:"sink"`
}

// readBulk reads and validates every line. It returns the requests only if
// all lines are valid; otherwise an error naming each bad line by number.
// Blank lines are skipped.
func readBulk(r io.Reader, enq *tasks.Enqueuer) ([]tasks.Request, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	var (
		reqs []tasks.Request
		bad  []string
		n    int
	)
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			// encoding/json would turn the bad bytes into U+FFFD and
			// enqueue a reference nobody gave.
			bad = append(bad, fmt.Sprintf("line %d: not valid UTF-8", n))
			continue
		}
		var l bulkLine
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			bad = append(bad, fmt.Sprintf("line %d: not a JSON object of provider, id, biz_id, sink: %v", n, err))
			continue
		}
		// dec.More is false before a stray "}" or "]": look for any token.
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			bad = append(bad, fmt.Sprintf("line %d: more than one JSON value", n))
			continue
		}
		req := tasks.Request{Sink: l.Sink}
		req.Provider, req.ID, req.BizID = l.Provider, l.ID, l.BizID
		if _, err := enq.Normalize(req); err != nil {
			for _, e := range unjoin(err) {
				bad = append(bad, fmt.Sprintf("line %d: %v", n, e))
			}
			continue
		}
		reqs = append(reqs, req)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes", n+1, maxLineBytes)
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(bad) > 0 {
		return nil, errors.New("  " + strings.Join(bad, "\n  "))
	}
	if len(reqs) == 0 {
		return nil, errors.New("  no references in input")
	}
	return reqs, nil
}
