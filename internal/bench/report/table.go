package report

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Row is one figure of the results table.
type Row struct {
	Scenario string
	Figure   string
	Goal     string // "" when the figure has no goal
	Measured string
	// Verdict is "pass", "gap" or "" (no goal).
	Verdict string
}

// Markdown renders rows as a Markdown table.
func Markdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| scenario | figure | goal | measured | result |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(r.Scenario), cell(r.Figure), cell(dash(r.Goal)), cell(r.Measured), dash(verdict(r.Verdict)))
	}
	return b.String()
}

// Text renders rows as a plain-text table for a terminal: each scenario
// as a heading, its figures aligned under it.
func Text(rows []Row) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	last := ""
	for _, r := range rows {
		if r.Scenario != last {
			_ = w.Flush()
			fmt.Fprintf(&b, "\n%s\n", r.Scenario)
			last = r.Scenario
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", r.Figure, r.Measured, dash(r.Goal), r.Verdict)
	}
	_ = w.Flush()
	return b.String()
}

// cell escapes the pipes of a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func verdict(v string) string {
	switch v {
	case "pass":
		return "**pass**"
	case "gap":
		return "**gap**"
	}
	return v
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// Num formats f with decimals and thousands separators.
func Num(f float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, f)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}
