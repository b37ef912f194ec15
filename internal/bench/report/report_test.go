package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpliceKeepsHandWrittenText(t *testing.T) {
	doc := "# Title\n\nprose before\n<!-- bench:results:begin -->\nold table\n<!-- bench:results:end -->\nprose after\n"
	got, err := Splice(doc, Section{Name: "results", Body: "new table"}, Section{Name: "capacity", Body: "cap"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nprose before\n<!-- bench:results:begin -->\nnew table\n<!-- bench:results:end -->\nprose after\n\n" +
		"<!-- bench:capacity:begin -->\ncap\n<!-- bench:capacity:end -->\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	again, err := Splice(got, Section{Name: "results", Body: "new table"}, Section{Name: "capacity", Body: "cap"})
	if err != nil || again != got {
		t.Errorf("splicing the same sections again changed the document: %v\n%s", err, again)
	}
	if _, err := Splice("<!-- bench:x:end -->\n<!-- bench:x:begin -->", Section{Name: "x"}); err == nil {
		t.Error("no error for markers out of order")
	}
}

func TestUpdateFileCreatesFromSkeleton(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	skeleton := "# B\n<!-- bench:results:begin -->\n<!-- bench:results:end -->\n"
	if err := UpdateFile(path, skeleton, Section{Name: "results", Body: "T"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "<!-- bench:results:begin -->\nT\n<!-- bench:results:end -->") {
		t.Errorf("got %s", b)
	}
}

func TestTables(t *testing.T) {
	rows := []Row{
		{Scenario: "S", Figure: "polls/s", Goal: "≥ 800", Measured: "900", Verdict: "pass"},
		{Scenario: "S", Figure: "conns", Measured: "0"},
		{Scenario: "S", Figure: "a | b", Measured: "1 | 2"},
	}
	md := Markdown(rows)
	if !strings.Contains(md, "| S | polls/s | ≥ 800 | 900 | **pass** |") || !strings.Contains(md, "| S | conns | – | 0 | – |") ||
		!strings.Contains(md, `| S | a \| b | – | 1 \| 2 | – |`) {
		t.Errorf("markdown:\n%s", md)
	}
	if txt := Text(rows); strings.Count(txt, "\nS\n") != 1 || !strings.Contains(txt, "polls/s") {
		t.Errorf("text:\n%s", txt)
	}
}

func TestReadMachine(t *testing.T) {
	m := ReadMachine("7.0.15")
	if m.Cores < 1 || m.Redis != "7.0.15" || m.Go == "" {
		t.Errorf("got %+v", m)
	}
}
