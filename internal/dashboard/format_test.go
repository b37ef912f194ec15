package dashboard_test

import (
	"testing"

	"github.com/kycpoller/kycpoller/internal/dashboard"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

func TestFormatPayload(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, typ, payload, want string
	}{
		{"zoloz poll", tasks.TypePoll, `{"provider":"zoloz","id":"G1","biz_id":"onboarding-42","sink":"s","enqueued_at_ms":1795342481120,"selfie":"AAAA"}`,
			`{"provider":"zoloz","id":"G1","biz_id":"onboarding-42","sink":"s","enqueued_at":"2026-11-22T10:14:41.12Z"}`},
		{"poll without time", tasks.TypePoll, `{"provider":"advance","id":"x","sink":"s"}`, `{"provider":"advance","id":"x","sink":"s"}`},
		{"broken poll", tasks.TypePoll, `{"name":"Jane`, "kyc:poll payload, 13 bytes, not decodable (not shown)"},
		{"broken delivery", tasks.TypeDeliver, `Jane`, "kyc:deliver payload, 4 bytes, not decodable (not shown)"},
		{"other type", "email:send", `{"to":"jane@example.com"}`, "email:send payload, 25 bytes (not shown)"},
	} {
		if got := dashboard.FormatPayload(tt.typ, []byte(tt.payload)); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	if got := dashboard.FormatResult("", nil); got != "" {
		t.Errorf("empty result shown as %q", got)
	}
	if got := dashboard.FormatResult("", []byte(`{"name":"Jane"}`)); got != "15 bytes (not shown)" {
		t.Errorf("result shown as %q", got)
	}
}
