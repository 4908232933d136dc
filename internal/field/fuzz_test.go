package field

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckJSON: any body is scanned without panicking, and a JSON body
// it passes holds no string (key or value) over the bound.
func FuzzCheckJSON(f *testing.F) {
	f.Add([]byte(`{"name":"Ana","roles":["a","b"],"n":1}`))
	f.Add([]byte(`{"` + strings.Repeat("k", Default+1) + `":1}`))
	f.Add([]byte(`[[[[[[[[[[`))
	f.Add([]byte(`"\ud800"`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if CheckJSON(body) != nil {
			return
		}
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				if len(v) > Default {
					t.Fatalf("a string of %d bytes passed", len(v))
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for k, e := range v {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
	})
}

// FuzzForLog: a value cut for the log is valid UTF-8 when the value was,
// and bounded.
func FuzzForLog(f *testing.F) {
	f.Add(strings.Repeat("é", 100))
	f.Add("short")
	f.Fuzz(func(t *testing.T, s string) {
		got := ForLog(s)
		if len(got) > logLength+40 {
			t.Fatalf("%d bytes kept", len(got))
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("cut %q into invalid text %q", s, got)
		}
	})
}
