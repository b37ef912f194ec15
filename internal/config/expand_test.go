package config

import (
	"strings"
	"testing"
)

func TestExpandString(t *testing.T) {
	t.Parallel()
	env := lookupIn(map[string]string{
		"HOST":  "redis",
		"PORT":  "6380",
		"EMPTY": "",
		"_x1":   "lower",
	})
	tests := []struct {
		in   string
		want string
	}{
		{"plain", "plain"},
		{"${HOST}", "redis"},
		{"${HOST}:${PORT}", "redis:6380"},
		{"${HOST}:${UNSET:-6379}", "redis:6379"},
		{"${EMPTY:-fallback}", "fallback"},
		{"${EMPTY}", ""},
		{"${PORT:-1}", "6380"},
		{"${UNSET:-}", ""},
		{"${UNSET:-a:-b}", "a:-b"},
		{"${UNSET:-$HOST}", "$HOST"},
		{"${_x1}", "lower"},
		{"$$", "$"},
		{"$${HOST}", "${HOST}"},
		{"pa$$$${HOST}", "pa$${HOST}"},
		{"$$$$${PORT}", "$$6380"},
		{"a$b", "a$b"},
		{"cost: 5$", "cost: 5$"},
		{"$HOST", "$HOST"},
		{"é${HOST}é", "éredisé"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, errs := expandString(tt.in, env)
			if len(errs) > 0 {
				t.Fatalf("expandString(%q): %v", tt.in, errs)
			}
			if got != tt.want {
				t.Errorf("expandString(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandStringErrors(t *testing.T) {
	t.Parallel()
	env := lookupIn(map[string]string{"SET": "s3cr3t-value"})
	tests := []struct {
		in   string
		want []string
	}{
		{"${MISSING}", []string{"environment variable MISSING is not set"}},
		{"${A}-${SET}-${B}", []string{"environment variable A is not set", "environment variable B is not set"}},
		{"${SET", []string{`unterminated "${"`}},
		{"${}", []string{"malformed environment reference"}},
		{"${1ABC}", []string{"malformed environment reference"}},
		{"${A B}", []string{"malformed environment reference"}},
		{"${SET:?x}", []string{"malformed environment reference"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, errs := expandString(tt.in, env)
			if len(errs) != len(tt.want) {
				t.Fatalf("expandString(%q) gave %d errors %v, want %d", tt.in, len(errs), errs, len(tt.want))
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), tt.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, err, tt.want[i])
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error %q shows a variable's value", err)
				}
			}
		})
	}
}
