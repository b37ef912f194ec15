package report

import (
	"fmt"
	"os"
	"strings"
)

// Section is a generated part of the document, written between
// "<!-- bench:NAME:begin -->" and "<!-- bench:NAME:end -->".
type Section struct {
	Name string
	Body string
}

func markers(name string) (begin, end string) {
	return "<!-- bench:" + name + ":begin -->", "<!-- bench:" + name + ":end -->"
}

// Splice replaces each section's text between its markers in doc. A
// section whose markers are missing is appended at the end under its own
// markers, so the first run of a new section adds it.
func Splice(doc string, sections ...Section) (string, error) {
	for _, s := range sections {
		begin, end := markers(s.Name)
		i := strings.Index(doc, begin)
		j := strings.Index(doc, end)
		switch {
		case i < 0 && j < 0:
			doc = strings.TrimRight(doc, "\n") + "\n\n" + begin + "\n" + s.Body + "\n" + end + "\n"
		case i < 0 || j < i:
			return "", fmt.Errorf("section %q: markers missing or out of order", s.Name)
		default:
			doc = doc[:i+len(begin)] + "\n" + s.Body + "\n" + doc[j:]
		}
	}
	return doc, nil
}

// UpdateFile splices sections into the document at path, creating it from
// skeleton when it does not exist.
func UpdateFile(path, skeleton string, sections ...Section) error {
	b, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
		b = []byte(skeleton)
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	}
	doc, err := Splice(string(b), sections...)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
