package k8s_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
)

const (
	alertsFile    = "../docs/monitoring/kycpoller-alerts.yaml"
	dashboardFile = "../docs/monitoring/kycpoller-dashboard.json"
)

// ruleFile is a Prometheus rule file; decoding rejects unknown keys.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestAlertRules(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var groups []string
	for _, g := range rf.Groups {
		groups = append(groups, g.Name)
	}
	wantGroups := []string{"kycpoller.availability", "kycpoller.providers", "kycpoller.delivery", "kycpoller.queues"}
	if !slices.Equal(groups, wantGroups) {
		t.Errorf("groups %q, want %q", groups, wantGroups)
	}

	known := knownMetrics(t)
	used := map[string]bool{}
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		if len(g.Rules) == 0 {
			t.Errorf("group %s has no rules", g.Name)
		}
		for _, r := range g.Rules {
			if r.Alert == "" || alerts[r.Alert] {
				t.Errorf("group %s: rule with a missing or repeated alert name %q", g.Name, r.Alert)
			}
			alerts[r.Alert] = true
			if sev := r.Labels["severity"]; sev != "warning" && sev != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, sev)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: no summary or description", r.Alert)
			}
			names := metricNames(t, r.Expr)
			if len(names) == 0 {
				t.Errorf("%s: expression %q names no metric", r.Alert, r.Expr)
			}
			for _, n := range names {
				used[n] = true
				if !known(n) {
					t.Errorf("%s: %s is neither kycpoller's (internal/metrics) nor asynq's", r.Alert, n)
				}
			}
		}
	}
	// What the rules are for.
	for _, want := range []struct{ metric, matcher string }{
		{"kycpoller_polls_total", `outcome="config_error"`},
		{"kycpoller_dead_letters_total", ""},
		{"kycpoller_provider_response_signature_failures_total", ""},
		{"asynq_queue_latency_seconds", ""},
		{"up", ""},
	} {
		if !used[want.metric] {
			t.Errorf("no rule uses %s", want.metric)
		}
		if want.matcher != "" && !bytes.Contains(b, []byte(want.metric+`{job="kycpoller-worker", `+want.matcher)) {
			t.Errorf("no rule selects %s{%s}", want.metric, want.matcher)
		}
	}
}

// dashboard is the part of a Grafana dashboard this test reads.
type dashboard struct {
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		GridPos *struct {
			H, W, X, Y int
		} `json:"gridPos"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard without uid or title")
	}
	known := knownMetrics(t)
	ids := map[int]bool{}
	used := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d repeated", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: missing or bad gridPos", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range metricNames(t, tg.Expr) {
				used[n] = true
				// A histogram is shown through its series.
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					used[strings.TrimSuffix(n, suffix)] = true
				}
				// The Go and process collectors are registered with
				// kycpoller's own metrics.
				if !known(n) && !strings.HasPrefix(n, "process_") && !strings.HasPrefix(n, "go_") {
					t.Errorf("panel %q: %s is neither kycpoller's nor asynq's", p.Title, n)
				}
			}
		}
	}
	for _, n := range kycpollerMetrics(t) {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}

// kycpollerMetrics lists the metric names internal/metrics registers.
func kycpollerMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../internal/metrics/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`Name:\s*"(kycpoller_[a-z0-9_]+)"`).FindAllSubmatch(b, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) == 0 {
		t.Fatal("no kycpoller_ metric found in internal/metrics/metrics.go")
	}
	return names
}

// knownMetrics reports whether a name is one of kycpoller's metrics (or a
// histogram's series of one), one of asynq's queue collector, or up, the
// series Prometheus itself writes for every scrape.
func knownMetrics(t *testing.T) func(string) bool {
	t.Helper()
	own := kycpollerMetrics(t)
	return func(name string) bool {
		if name == "up" || strings.HasPrefix(name, "asynq_") {
			return true
		}
		for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && slices.Contains(own, base) {
				return true
			}
		}
		return false
	}
}

var promKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"and": true, "or": true, "unless": true, "bool": true, "offset": true, "atan2": true,
	"inf": true, "nan": true,
}

// promAggregations may be followed by by (...) or without (...) before
// their arguments.
var promAggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true,
	"limitk": true, "limit_ratio": true,
}

// metricNames lists the metric names a PromQL expression selects: the
// identifiers outside label matchers, ranges, strings and grouping labels
// that are not functions, aggregations or keywords.
func metricNames(t *testing.T, expr string) []string {
	t.Helper()
	var names []string
	rs := []rune(expr)
	skipTo := func(i int, closing rune) int {
		for j := i + 1; j < len(rs); j++ {
			if rs[j] == '"' || rs[j] == '\'' || rs[j] == '`' {
				q := rs[j]
				for j++; j < len(rs) && rs[j] != q; j++ {
					if rs[j] == '\\' {
						j++
					}
				}
				continue
			}
			if rs[j] == closing {
				return j
			}
		}
		t.Fatalf("unbalanced %q in %q", closing, expr)
		return len(rs)
	}
	isIdent := func(r rune, first bool) bool {
		return r == '_' || r == ':' || unicode.IsLetter(r) || (!first && unicode.IsDigit(r))
	}
	groupingNext := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '{':
			i = skipTo(i, '}')
		case r == '[':
			i = skipTo(i, ']')
		case r == '"' || r == '\'' || r == '`':
			for i++; i < len(rs) && rs[i] != r; i++ {
				if rs[i] == '\\' {
					i++
				}
			}
		case r == '(' && groupingNext:
			i = skipTo(i, ')')
			groupingNext = false
		case unicode.IsDigit(r) || r == '.':
			for i+1 < len(rs) && (isIdent(rs[i+1], false) || rs[i+1] == '.') {
				i++
			}
		case isIdent(r, true):
			j := i
			for j+1 < len(rs) && isIdent(rs[j+1], false) {
				j++
			}
			word := string(rs[i : j+1])
			i = j
			k := j + 1
			for k < len(rs) && unicode.IsSpace(rs[k]) {
				k++
			}
			switch {
			case word == "by" || word == "without" || word == "on" || word == "ignoring" || word == "group_left" || word == "group_right":
				groupingNext = true
			case promKeywords[strings.ToLower(word)], promAggregations[word]:
			case k < len(rs) && rs[k] == '(':
				// A function or an aggregation.
			default:
				names = append(names, word)
			}
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	for expr, want := range map[string][]string{
		`up{job="a"} == 0`: {"up"},
		`sum by (provider, outcome) (rate(kycpoller_polls_total{outcome="config_error"}[5m])) > 0`:   {"kycpoller_polls_total"},
		`histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{a=~"b|c"}[$__rate_interval])))`: {"x_seconds_bucket"},
		`count by (pod) (up == 1) unless on (pod) count by (pod) (asynq_queue_size) or vector(0)`:    {"up", "asynq_queue_size"},
		`a / ignoring(x) group_left(y) b offset 5m`:                                                  {"a", "b"},
	} {
		if got := metricNames(t, expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%q) = %q, want %q", expr, got, want)
		}
	}
}
