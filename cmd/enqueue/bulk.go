package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

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
		var l bulkLine
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			bad = append(bad, fmt.Sprintf("line %d: not a JSON object of provider, id, biz_id, sink: %v", n, err))
			continue
		}
		if dec.More() {
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
