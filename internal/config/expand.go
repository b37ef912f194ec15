package config

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Environment references in scalar values:
//
//	${NAME}          the value of NAME; an error when NAME is not set
//	${NAME:-default} the value of NAME, or default when NAME is unset or empty
//	$$               a literal $
//
// A $ followed by anything else is kept as it is. The default is taken
// literally up to the first "}": it is not expanded again.
//
// Expansion works on the parsed node tree, never on the file text, so a value
// that contains YAML syntax stays one plain string and cannot add keys. Keys
// and comments are never expanded.

// lookupFunc reports the value of an environment variable and whether it is
// set, like os.LookupEnv.
type lookupFunc func(name string) (string, bool)

// expandTree expands the references in every scalar value under n. It returns
// the nodes whose value held a reference or "$$", so that later checks know
// the value came (at least in part) from the environment and must not be
// printed, and every problem found, prefixed by the key path.
func expandTree(n *yaml.Node, lookup lookupFunc) (map[*yaml.Node]bool, []error) {
	e := expander{lookup: lookup, expanded: make(map[*yaml.Node]bool)}
	e.node(n, "")
	return e.expanded, e.errs
}

type expander struct {
	lookup   lookupFunc
	expanded map[*yaml.Node]bool
	errs     []error
}

func (e *expander) node(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			e.node(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			e.node(n.Content[i+1], joinKey(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			e.node(c, fmt.Sprintf("%s[%d]", path, i))
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		v, errs := expandString(n.Value, e.lookup)
		for _, err := range errs {
			e.errs = append(e.errs, fmt.Errorf("%s: %w", displayPath(path), err))
		}
		n.Value = v
		e.expanded[n] = true
		// A plain scalar was resolved (to !!str, since it held "${") when
		// it was parsed: resolve it again from its new value, so that
		// "db: ${REDIS_DB}" is an integer. Quoted and explicitly tagged
		// scalars keep their tag.
		if n.Style == 0 {
			n.Tag = ""
		}
	case yaml.AliasNode:
		// Expanded where its anchor is defined.
	}
}

// expandString expands the references in s. Errors name variables but never
// print a value.
func expandString(s string, lookup lookupFunc) (string, []error) {
	var (
		b    strings.Builder
		errs []error
	)
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				errs = append(errs, errors.New(`unterminated "${" (write "$$" for a literal "$")`))
				return s, errs
			}
			ref := s[i+2 : i+2+end]
			i += 2 + end + 1
			name, def, hasDefault := strings.Cut(ref, ":-")
			if !validEnvName(name) {
				// The name is not printed: the text may be part of a
				// literal secret that needed "$$".
				errs = append(errs, errors.New(`malformed environment reference: want ${NAME} or ${NAME:-default} (write "$$" for a literal "$")`))
				continue
			}
			v, ok := lookup(name)
			switch {
			case hasDefault && v == "":
				b.WriteString(def)
			case !ok:
				errs = append(errs, fmt.Errorf("environment variable %s is not set", name))
			default:
				b.WriteString(v)
			}
		default:
			b.WriteByte('$')
			i++
		}
	}
	return b.String(), errs
}

// validEnvName reports whether name is a portable environment variable name.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// joinKey appends a mapping key to a dotted key path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// displayPath names the top level in messages about the whole document.
func displayPath(path string) string {
	if path == "" {
		return "configuration"
	}
	return path
}
