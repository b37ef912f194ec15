package httpauth_test

import (
	"net/http"
	"testing"

	"github.com/kycpoller/kycpoller/internal/httpauth"
)

func TestDigestsAndBearer(t *testing.T) {
	t.Parallel()
	d := httpauth.NewDigest("secret-token-0123456789")
	if !d.Equal("secret-token-0123456789") || d.Equal("secret-token-012345678") || d.Equal("") {
		t.Error("Equal: want only the exact secret")
	}
	ds := []httpauth.Digest{httpauth.NewDigest("a-token-aaaaaaaaaaaa"), d}
	if !httpauth.Match(ds, "secret-token-0123456789") || httpauth.Match(ds, "other") || httpauth.Match(nil, "") {
		t.Error("Match: want a match with any listed secret only")
	}
	for header, want := range map[string]string{
		"Bearer tok":    "tok",
		"bearer  tok  ": "tok",
		"Basic tok":     "",
		"Bearer ":       "",
		"Bearertok":     "",
		"":              "",
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", header)
		got, ok := httpauth.BearerToken(r)
		if got != want || ok != (want != "") {
			t.Errorf("BearerToken(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
}
