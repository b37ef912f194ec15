package chaos

import (
	"bytes"
	"fmt"
	"os"
)

// The markers around the part of docs/reliability.md that cmd/chaos
// writes; what is outside them is written by hand and kept.
const (
	BeginMarker = "<!-- chaos:begin -->"
	EndMarker   = "<!-- chaos:end -->"
)

// ReplaceSection replaces what lies between BeginMarker and EndMarker in the
// file at path with body, keeping the rest of the file.
func ReplaceSection(path, body string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	begin := bytes.Index(doc, []byte(BeginMarker))
	end := bytes.Index(doc, []byte(EndMarker))
	if begin < 0 || end < begin {
		return fmt.Errorf("%s: no %s ... %s section", path, BeginMarker, EndMarker)
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(BeginMarker)])
	out.WriteString("\n" + body + "\n")
	out.Write(doc[end:])
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
