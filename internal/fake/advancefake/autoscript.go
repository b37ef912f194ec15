package advancefake

import (
	"regexp"
	"strconv"
	"time"
)

// autoScriptRE matches ids that script themselves when Options.AutoScript is
// on: <outcome>-<delay><unit>-<anything>, e.g. pass-3s-001.
var autoScriptRE = regexp.MustCompile(`^(pass|fail|incomplete|notfound|pending)-(\d+)(ms|s|m)-.+$`)

// maxAutoDelay bounds the delay an auto-scripted id may ask for.
const maxAutoDelay = 1000 * time.Hour

// ParseAutoScript returns the script an auto-scripted id stands for:
// pass-3s-x passes 3 s after its first call, fail-500ms-x fails with
// LIVENESS_ATTACK, incomplete-1m-x is incomplete with USER_TIMEOUT,
// notfound-2s-x answers SIGNATURE_NOT_EXIST after 2 s and pending-0s-x never
// becomes final.
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
	sc := Script{ReadyAfter: time.Duration(n) * unit}
	switch m[1] {
	case "pass":
		sc.Outcome = OutcomePass
	case "fail":
		sc.Outcome, sc.ErrorCode = OutcomeFail, "LIVENESS_ATTACK"
	case "incomplete":
		sc.Outcome, sc.ErrorCode = OutcomeIncomplete, "USER_TIMEOUT"
	case "notfound":
		sc.Outcome = OutcomeNotFound
	case "pending":
		sc.Outcome = OutcomePendingForever
	}
	return sc, true
}
