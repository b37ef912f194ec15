package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Found by FuzzParse: a merge key or alias that refers to its own anchor
// sent the shape check into endless recursion (a fatal stack overflow), and
// nested merges made it exponential.
func TestLoadRejectsRecursiveAndExplosiveAliases(t *testing.T) {
	t.Parallel()
	// Each anchor merges the previous one twice: walking the last one
	// visits 2^30 mappings unless the walk is bounded. The anchors sit under
	// unknown keys, which are reported but not walked.
	var bomb strings.Builder
	bomb.WriteString("x0: &r0 {db: 1}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&bomb, "x%d: &r%d {<<: [*r%d, *r%d]}\n", i, i, i-1, i-1)
	}
	bomb.WriteString("redis: {<<: [*r29, *r29]}\n")
	for name, text := range map[string]string{
		"self merge":        "redis: &a {<<: *a}\n",
		"self value":        "redis: &a {db: *a}\n",
		"self list":         "polling: &a [*a]\n",
		"indirect merge":    "redis: &a {<<: &b {<<: *a}}\n",
		"exponential merge": bomb.String(),
	} {
		done := make(chan error, 1)
		go func() {
			_, err := parseWith(text+minimalYAML, nil)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: accepted", name)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: still parsing after 30s", name)
		}
	}
}
