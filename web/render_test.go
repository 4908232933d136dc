package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEveryRendererMethodRendersAWholePage calls every page method of the
// Renderer twice: with the zero page, and with every field filled (strings,
// true flags, one element in each list, field errors), so a template that
// cannot execute on some branch (a partial called with the wrong data, a
// field renamed) fails here rather than in front of a member.
func TestEveryRendererMethodRendersAWholePage(t *testing.T) {
	r, err := NewRenderer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rv := reflect.ValueOf(r)
	writer := reflect.TypeFor[http.ResponseWriter]()
	called := 0
	for i := range rv.NumMethod() {
		m, name := rv.Method(i), rv.Type().Method(i).Name
		mt := m.Type()
		if mt.NumIn() < 1 || mt.In(0) != writer || mt.NumOut() != 0 {
			continue
		}
		for _, filled := range []bool{false, true} {
			w := httptest.NewRecorder()
			args := []reflect.Value{reflect.ValueOf(http.ResponseWriter(w))}
			ok := true
			for j := 1; j < mt.NumIn(); j++ {
				switch in := mt.In(j); {
				case in.Kind() == reflect.Int:
					args = append(args, reflect.ValueOf(http.StatusOK))
				case in.Kind() == reflect.Struct && filled:
					args = append(args, fill(in, 0))
				case in.Kind() == reflect.Struct:
					args = append(args, reflect.Zero(in))
				default:
					ok = false
				}
			}
			if !ok {
				continue
			}
			m.Call(args)
			called++
			if w.Code == http.StatusInternalServerError || !strings.Contains(w.Body.String(), "</html>") {
				t.Errorf("%s (filled: %v): %d, not a whole page:\n%.300s", name, filled, w.Code, w.Body.String())
			}
		}
	}
	if called/2 < len(r.pages) {
		t.Errorf("%d page methods rendered, fewer than the %d pages: a method's signature is not recognised", called/2, len(r.pages))
	}
}

// fill returns a value of type t with every field set: text, true, 1, one
// element in every list and map, the time now.
func fill(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if depth > 6 {
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString("Ada <b>Lovelace</b>")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Pointer:
		v.Set(fill(t.Elem(), depth+1).Addr())
	case reflect.Slice:
		v.Set(reflect.Append(reflect.MakeSlice(t, 0, 1), fill(t.Elem(), depth+1)))
	case reflect.Map:
		m := reflect.MakeMap(t)
		m.SetMapIndex(fill(t.Key(), depth+1), fill(t.Elem(), depth+1))
		v.Set(m)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)))
			return v
		}
		for i := range t.NumField() {
			if f := v.Field(i); f.CanSet() {
				f.Set(fill(t.Field(i).Type, depth+1))
			}
		}
	}
	return v
}
