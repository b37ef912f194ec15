package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvConfigPath is the environment variable naming the configuration file when
// no -config flag is given.
const EnvConfigPath = "KYCPOLLER_CONFIG"

// ResolvePath returns the configuration file to load: the -config flag value
// if set, else $KYCPOLLER_CONFIG.
func ResolvePath(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := os.Getenv(EnvConfigPath); p != "" {
		return p, nil
	}
	return "", errors.New("no configuration file: pass -config FILE or set " + EnvConfigPath)
}

// Load reads, expands, decodes, defaults and validates the configuration file
// at path.
//
// Environment references (${NAME}, ${NAME:-default}, $$) are expanded in
// scalar values. Unknown keys, duplicate keys and values of the wrong type are
// errors. Problems are reported together, one per line, each prefixed by its
// dotted key path: first every problem with the file's structure (unset
// variables, unknown keys, bad types); once the file decodes, every problem
// with its values (see Validate). Secrets are never printed, and neither is a
// value taken from the environment that fails to decode (it may be a secret
// referenced under the wrong key).
func Load(path string) (*Config, error) {
	return load(path, os.LookupEnv, false)
}

// LoadForEnqueue loads the configuration for the enqueue side, which talks
// to Redis only: provider credentials may be absent (an unset ${VAR} is
// empty) and are not checked, so onboarding back ends can share the worker's
// file without holding its keys. Everything else is checked as by Load.
func LoadForEnqueue(path string) (*Config, error) {
	lookup := func(name string) (string, bool) {
		v, _ := os.LookupEnv(name)
		return v, true
	}
	return load(path, lookup, true)
}

func load(path string, lookup lookupFunc, credentialsOptional bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	c, err := parse(data, lookup, credentialsOptional)
	if errors.Is(err, errEmpty) {
		return nil, fmt.Errorf("configuration file %s is empty", path)
	}
	return c, err
}

var errEmpty = errors.New("configuration is empty")

// parse is Load without the file system and with the environment injected.
func parse(data []byte, lookup lookupFunc, credentialsOptional bool) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errEmpty
		}
		return nil, fmt.Errorf("parse configuration: %w", err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, fmt.Errorf("parse configuration: more than one YAML document (line %d)", next.Line)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("parse configuration: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || isNull(doc.Content[0]) {
		return nil, errEmpty
	}
	root := doc.Content[0]

	expanded, errs := expandTree(root, lookup)
	s := shapeChecker{expanded: expanded}
	s.node(root, reflect.TypeFor[Config](), "")
	if errs = append(errs, s.errs...); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	// Jitter is the one default whose zero value is meaningful and that is
	// not a pointer: pre-fill it so that an explicit "jitter: 0" stays 0.
	c := &Config{Polling: Polling{Jitter: DefaultJitter}}
	if err := root.Decode(c); err != nil {
		// The checks above should have caught every decoding problem;
		// yaml quotes values in its errors, so strip them.
		return nil, fmt.Errorf("decode configuration: %s", quotedValue.ReplaceAllString(err.Error(), "``"))
	}
	c.ApplyDefaults()
	c.credentialsOptional = credentialsOptional
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var quotedValue = regexp.MustCompile("`[^`]*`")

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// shapeChecker walks the node tree along the Config type before decoding. It
// reports, with key paths and lines, what yaml.v3 would either ignore
// (unknown keys), report without a key path, or report by quoting the value
// (which may be a secret). It also prepares expanded scalars for decoding.
type shapeChecker struct {
	expanded map[*yaml.Node]bool
	errs     []error
	aliases  aliasGuard
}

func (s *shapeChecker) errorf(path string, n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.errs = append(s.errs, fmt.Errorf("%s: %s (line %d)", displayPath(path), msg, n.Line))
}

func (s *shapeChecker) node(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || !s.follow(n, path) {
			return
		}
		defer s.aliases.leave(n.Alias)
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && s.expanded[n] && t.Kind() == reflect.String {
		// Whatever the environment held, a string key gets it verbatim:
		// "true", "123" or "~" are not turned into other types.
		n.Tag = "!!str"
	}
	if isNull(n) {
		return // null leaves the value unset
	}
	switch {
	case t == durationType:
		s.duration(n, path)
	case t.Kind() == reflect.Pointer:
		s.node(n, t.Elem(), path)
	case t.Kind() == reflect.Struct:
		s.mapping(n, path, func(key *yaml.Node) (reflect.Type, bool) {
			f, ok := fieldByKey(t, key.Value)
			return f.Type, ok
		}, t)
	case t.Kind() == reflect.Map:
		s.mapping(n, path, func(*yaml.Node) (reflect.Type, bool) { return t.Elem(), true }, t)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			s.errorf(path, n, "want a list")
			return
		}
		for i, item := range n.Content {
			s.node(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		s.scalar(n, t, path)
	}
}

// mapping checks a mapping node whose keys are struct fields or map keys;
// fieldType says what a key holds, or that it is unknown.
func (s *shapeChecker) mapping(n *yaml.Node, path string, fieldType func(key *yaml.Node) (reflect.Type, bool), t reflect.Type) {
	if n.Kind != yaml.MappingNode {
		s.errorf(path, n, "want a mapping of keys")
		return
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			s.errorf(path, key, "keys must be plain names")
			continue
		}
		if key.ShortTag() == "!!merge" {
			s.merge(value, t, path)
			continue
		}
		keyPath := joinKey(path, key.Value)
		if line, ok := seen[key.Value]; ok {
			s.errorf(keyPath, key, "defined twice (first at line %d)", line)
			continue
		}
		seen[key.Value] = key.Line
		ft, ok := fieldType(key)
		if !ok {
			s.errs = append(s.errs, fmt.Errorf("%s: unknown key (line %d); known keys: %s", keyPath, key.Line, strings.Join(yamlKeys(t), ", ")))
			continue
		}
		s.node(value, ft, keyPath)
	}
}

// merge checks the value of a "<<" merge key: a mapping or a list of them,
// merged into the mapping at path.
func (s *shapeChecker) merge(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		if !s.follow(n, path) {
			return
		}
		defer s.aliases.leave(n.Alias)
		n = n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		for _, item := range n.Content {
			s.node(item, t, path)
		}
		return
	}
	s.node(n, t, path)
}

func (s *shapeChecker) duration(n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		s.errorf(path, n, "want a duration such as 30s or 2h")
		return
	}
	got := s.shown(n, false)
	switch n.ShortTag() {
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f == 0 {
			n.Value, n.Tag = "0s", "!!str"
			return
		}
		s.errorf(path, n, "a duration needs a unit, such as 30s or 2h%s", got)
		return
	}
	if _, err := time.ParseDuration(n.Value); err != nil {
		s.errorf(path, n, "want a duration such as 30s or 2h%s", got)
	}
}

func (s *shapeChecker) scalar(n *yaml.Node, t reflect.Type, path string) {
	want := "a single value"
	switch t.Kind() {
	case reflect.String:
		want = "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		want = "an integer"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	}
	if n.Kind != yaml.ScalarNode {
		s.errorf(path, n, "want %s", want)
		return
	}
	tag := n.ShortTag()
	ok := true
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		// yaml.v3 would silently truncate 1.5 to 1.
		ok = tag == "!!int"
	case reflect.Float32, reflect.Float64:
		ok = tag == "!!int" || tag == "!!float"
	}
	if ok {
		ok = n.Decode(reflect.New(t).Interface()) == nil
	}
	if !ok {
		s.errorf(path, n, "want %s%s", want, s.shown(n, t == secretType))
	}
}

// shown formats " (got VALUE)" unless the value is secret or came from the
// environment.
func (s *shapeChecker) shown(n *yaml.Node, secret bool) string {
	switch {
	case secret:
		return ""
	case s.expanded[n]:
		return " (value from the environment not shown)"
	}
	return fmt.Sprintf(" (got %q)", n.Value)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// fieldByKey finds the field of struct type t with the given yaml key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlKeys lists the keys of struct type t, for messages; nil for maps.
func yamlKeys(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			keys = append(keys, yamlKey(f))
		}
	}
	return keys
}

func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}
