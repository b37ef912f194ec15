package config

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Dump returns the effective configuration as one line of JSON, for the
// start-up log. Keys are the YAML keys in file order, durations are strings
// such as "5s", and every Secret, wherever it is nested, is "[REDACTED]" (or
// "" when unset).
//
// It walks the Config by reflection rather than through a mirror type, so a
// field added later is dumped (and a Secret redacted) without touching this
// file.
func (c *Config) Dump() string {
	var b bytes.Buffer
	dumpValue(&b, reflect.ValueOf(c).Elem())
	return b.String()
}

func dumpValue(b *bytes.Buffer, v reflect.Value) {
	switch v.Type() {
	case secretType:
		dumpString(b, Secret(v.String()).String())
		return
	case durationType:
		dumpString(b, time.Duration(v.Int()).String())
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		dumpValue(b, v.Elem())
	case reflect.Struct:
		b.WriteByte('{')
		first := true
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			dumpString(b, yamlKey(f))
			b.WriteByte(':')
			dumpValue(b, v.Field(i))
		}
		b.WriteByte('}')
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return cmp.Compare(x.String(), y.String()) })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			dumpString(b, k.String())
			b.WriteByte(':')
			dumpValue(b, v.MapIndex(k))
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("null")
			return
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			dumpValue(b, v.Index(i))
		}
		b.WriteByte(']')
	case reflect.String:
		dumpString(b, redactURL(v.String()))
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			// Not representable in JSON.
			dumpString(b, strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default:
		// No such field today; never guess at how to print one.
		dumpString(b, "<"+v.Type().String()+">")
	}
}

// dumpString writes s as a JSON string, without escaping &, < and > so that
// URLs stay readable.
func dumpString(b *bytes.Buffer, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// redactURL hides the credentials and the query of a URL-shaped value (a
// webhook URL may carry a token in either); other strings pass unchanged.
func redactURL(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return redacted
	}
	if u.User != nil {
		u.User = url.User(redacted)
	}
	if u.RawQuery != "" {
		u.RawQuery = redacted
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
