package chaos

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/event"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/fake/receiver"
	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/verification"
)

func delivery(p planned, id string, status verification.Status, at time.Time) receiver.Delivery {
	var ev event.Event
	ev.ID = id
	ev.Data.Provider, ev.Data.VerificationID, ev.Data.Status = p.Ref.Provider, p.Ref.ID, status
	return receiver.Delivery{EventID: id, ReceivedAt: at, Event: ev}
}

// check finds each way a run can go wrong, and counts repeats of one event
// id as duplicates only.
func TestCheck(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	a := planned{Ref: verification.Ref{Provider: "advance", ID: "pass-1s-a"}, Want: verification.StatusPass}
	b := planned{Ref: verification.Ref{Provider: "zoloz", ID: "failure-1s-b", BizID: "x"}, Want: verification.StatusFail}
	final := func(p planned) (time.Time, bool) { return t0, true }
	good := map[string][]receiver.Delivery{
		a.Key(): {delivery(a, "evt_a", a.Want, t0.Add(time.Second)), delivery(a, "evt_a", a.Want, t0.Add(2*time.Second))},
		b.Key(): {delivery(b, "evt_b", b.Want, t0)},
	}
	var fig Figures
	if problems := check([]planned{a, b}, good, final, &fig); len(problems) != 0 {
		t.Fatalf("problems in a good run: %v", problems)
	}
	if fig.Delivered != 2 || fig.EventIDs != 2 || fig.Deliveries != 3 || fig.Duplicates != 1 || fig.MaxDelay != time.Second {
		t.Errorf("figures %+v", fig)
	}

	tests := []struct {
		name  string
		byV   map[string][]receiver.Delivery
		final finalAt
		want  string
	}{
		{"missing", map[string][]receiver.Delivery{a.Key(): good[a.Key()]}, final, "zoloz/failure-1s-b: never delivered"},
		{"wrong status", map[string][]receiver.Delivery{a.Key(): good[a.Key()], b.Key(): {delivery(b, "evt_b", verification.StatusPass, t0)}}, final, "status PASS, its script says FAIL"},
		{"second event id", map[string][]receiver.Delivery{a.Key(): {delivery(a, "evt_a", a.Want, t0), delivery(a, "evt_c", a.Want, t0)}, b.Key(): good[b.Key()]}, final, "two event ids"},
		{"shared event id", map[string][]receiver.Delivery{a.Key(): {delivery(a, "evt_a", a.Want, t0)}, b.Key(): {delivery(b, "evt_a", b.Want, t0)}}, final, "delivered for both"},
		{"early", map[string][]receiver.Delivery{a.Key(): {delivery(a, "evt_a", a.Want, t0.Add(-time.Millisecond))}, b.Key(): good[b.Key()]}, final, "before its provider's first final answer"},
		{"never final", good, func(p planned) (time.Time, bool) { return time.Time{}, p != a }, "never gave a final answer"},
		{"stray", map[string][]receiver.Delivery{a.Key(): good[a.Key()], b.Key(): good[b.Key()], "advance/other": {delivery(planned{Ref: verification.Ref{Provider: "advance", ID: "other"}}, "evt_o", a.Want, t0)}}, final, "not part of the run"},
	}
	for _, tt := range tests {
		var fig Figures
		problems := check([]planned{a, b}, tt.byV, tt.final, &fig)
		if !strings.Contains(strings.Join(problems, "\n"), tt.want) {
			t.Errorf("%s: problems %q, want one containing %q", tt.name, problems, tt.want)
		}
	}
}

// Every planned id is one the fakes script, with the status the plan
// expects, and finishes within the bound.
func TestPlanMatchesFakes(t *testing.T) {
	t.Parallel()
	within := 90 * time.Second
	seen := map[verification.Status]bool{}
	for _, p := range plan(rand.New(rand.NewPCG(1, 2)), 400, within) {
		seen[p.Want] = true
		var after time.Duration
		switch p.Ref.Provider {
		case "advance":
			sc, ok := advancefake.ParseAutoScript(p.Ref.ID)
			if !ok || string(advanceStatus(string(sc.Outcome))) != string(p.Want) {
				t.Fatalf("%s: script %+v, %v; want outcome %s", p.Key(), sc, ok, p.Want)
			}
			after = sc.ReadyAfter
		case "zoloz":
			sc, ok := zolozfake.ParseAutoScript(p.Ref.ID)
			want := map[zolozfake.Outcome]verification.Status{
				zolozfake.OutcomeSuccess: verification.StatusPass, zolozfake.OutcomeFailure: verification.StatusFail,
				zolozfake.OutcomeVoidCancelled: verification.StatusCancelled, zolozfake.OutcomeVoidTimeout: verification.StatusIncomplete,
			}[sc.Outcome]
			if !ok || want != p.Want || p.Ref.BizID == "" {
				t.Fatalf("%s: script %+v, %v, biz id %q; want outcome %s", p.Key(), sc, ok, p.Ref.BizID, p.Want)
			}
			after = sc.ReadyAfter
		}
		if after < 0 || after > within {
			t.Errorf("%s: final after %v, want within %v", p.Key(), after, within)
		}
	}
	if len(seen) != 5 {
		t.Errorf("statuses planned: %v, want every final status but TIMEOUT", seen)
	}
}

// advanceStatus maps ADVANCE.AI's scripted outcomes to statuses.
func advanceStatus(o string) verification.Status {
	if o == string(advancefake.OutcomeNotFound) {
		return verification.StatusNotFound
	}
	return verification.Status(o)
}

// ReplaceSection rewrites only what lies between the markers.
func TestReplaceSection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "doc.md")
	if err := os.WriteFile(path, []byte("intro\n"+BeginMarker+"\nold\n"+EndMarker+"\noutro\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceSection(path, "new table"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "intro\n" + BeginMarker + "\nnew table\n" + EndMarker + "\noutro\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := os.WriteFile(path, []byte("no markers"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceSection(path, "x"); err == nil {
		t.Error("no error for a file without markers")
	}
}

// The options the command and the test use are valid, and bad ones name
// their field.
func TestOptions(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]Options{"full": Full(), "short": Short()} {
		o.WorkerBin = "worker"
		if err := o.validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	o := Short()
	o.WorkerBin, o.ReceiverDown = "worker", time.Hour
	if err := o.validate(); err == nil || !strings.Contains(err.Error(), "ReceiverDown") {
		t.Errorf("receiver down past the chaos: error %v", err)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 1; i <= 200; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if got := percentile(ds, 0.99); got != 198*time.Millisecond {
		t.Errorf("p99 = %v, want 198ms", got)
	}
	if got := percentile(nil, 0.99); got != 0 {
		t.Errorf("p99 of nothing = %v", got)
	}
}

// A row has as many columns as the table header.
func TestRowFitsHeader(t *testing.T) {
	t.Parallel()
	header := strings.Split(TableHeader(), "\n")
	row := Figures{Faults: map[string]int{"HTTP500": 3}}.Row(1, true)
	if got, want := strings.Count(row, "|"), strings.Count(header[0], "|"); got != want || strings.Count(header[1], "|") != want {
		t.Errorf("row has %d separators, header %d:\n%s\n%s", got, want, TableHeader(), row)
	}
}

// The scenario's worker configuration is one the worker accepts.
func TestWorkerConfigLoads(t *testing.T) {
	t.Parallel()
	p := workerConfig()
	p.RedisAddr, p.AdvanceURL, p.WebhookURL, p.HTTPAddr = "127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", "127.0.0.1:4"
	p.AccessKey, p.SecretKey, p.WebhookSecret = "ak", "sk", "whsec_"+strings.Repeat("A", 44)
	path := filepath.Join(t.TempDir(), "kycpoller.yaml")
	if err := p.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatalf("the scenario's worker configuration: %v", err)
	}
}
