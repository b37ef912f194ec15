package config

import (
	"strings"
	"testing"
)

func TestDashboardDefaults(t *testing.T) {
	t.Parallel()
	d := validConfig(t).HTTP.Dashboard
	if !d.IsEnabled() || !d.IsReadOnly() || d.HasAuth() {
		t.Errorf("defaults: enabled %v read_only %v auth %v, want enabled, read-only, no auth", d.IsEnabled(), d.IsReadOnly(), d.HasAuth())
	}
}

func TestDashboardValidate(t *testing.T) {
	t.Parallel()
	const password = "sensitive-dashboard-pw"
	tests := []struct {
		name string
		yaml string
		want string // "" means valid
	}{
		{"read-only without auth", "http:\n  dashboard:\n    read_only: true\n", ""},
		{"disabled writable without auth", "http:\n  dashboard:\n    enabled: false\n    read_only: false\n", ""},
		{"writable with basic auth", "http:\n  dashboard:\n    read_only: false\n    basic_auth: {username: ops, password: " + password + "}\n", ""},
		{"writable with token", "http:\n  dashboard:\n    read_only: false\n    bearer_token: " + password + "\n", ""},
		{"writable without auth", "http:\n  dashboard:\n    read_only: false\n", "http.dashboard.read_only: false needs basic_auth or bearer_token"},
		{"username without password", "http:\n  dashboard:\n    basic_auth: {username: ops}\n", "http.dashboard.basic_auth.password: is required with basic_auth.username"},
		{"password without username", "http:\n  dashboard:\n    basic_auth: {password: " + password + "}\n", "http.dashboard.basic_auth.username: is required"},
		{"colon in username", "http:\n  dashboard:\n    basic_auth: {username: 'o:ps', password: " + password + "}\n", "http.dashboard.basic_auth.username: must not contain a colon"},
		{"short password", "http:\n  dashboard:\n    basic_auth: {username: ops, password: sensitive}\n", "http.dashboard.basic_auth.password: must be at least 16 bytes"},
		{"short token", "http:\n  dashboard:\n    bearer_token: sensitive\n", "http.dashboard.bearer_token: must be at least 16 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseWith(minimalYAML+tt.yaml, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				return
			}
			wantErr(t, err, tt.want)
			noSecrets(t, err.Error(), password)
			if n := strings.Count(err.Error(), "\n"); n != 0 {
				t.Errorf("want exactly one problem, got:\n%v", err)
			}
		})
	}
}
