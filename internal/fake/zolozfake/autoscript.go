package zolozfake

import (
	"regexp"
	"strconv"
	"time"
)

// autoScriptRE matches ids that script themselves when Options.AutoScript is
// on: <outcome>-<delay><unit>-<anything>, e.g. success-3s-001.
var autoScriptRE = regexp.MustCompile(`^(success|failure|cancelled|timeout|pending|inprocess)-(\d+)(ms|s|m)-.+$`)

// maxAutoDelay bounds the delay an auto-scripted id may ask for.
const maxAutoDelay = 1000 * time.Hour

// ParseAutoScript returns the script an auto-scripted id stands for:
// success-3s-x succeeds 3 s after its first call, failure-500ms-x fails,
// cancelled-2s-x ends VoidCancelled, timeout-1s-x ends VoidTimeout, and
// pending-1m-x and inprocess-0s-x never become final. Auto-scripted ids
// accept any bizId.
func ParseAutoScript(id string) (Script, bool) {
	m := autoScriptRE.FindStringSubmatch(id)
	if m == nil {
		return Script{}, false
	}
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[3]]
	n, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil || n > int64(maxAutoDelay/unit) {
		return Script{}, false
	}
	outcome := map[string]Outcome{
		"success":   OutcomeSuccess,
		"failure":   OutcomeFailure,
		"cancelled": OutcomeVoidCancelled,
		"timeout":   OutcomeVoidTimeout,
		"pending":   OutcomePendingForever,
		"inprocess": OutcomeInProcessForever,
	}[m[1]]
	return Script{ReadyAfter: time.Duration(n) * unit, Outcome: outcome}, true
}
