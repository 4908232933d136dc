package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/field"
)

// FuzzLimitFields: whatever a request body holds and whatever type it
// declares, a handler behind limitFields reads no field over field.Default,
// however it reads the body (a form value, as handlers do, or a JSON
// decoder, as the API does); and an URL-encoded form is refused only when
// one of its fields is over the bound. The seeds in testdata/fuzz are
// bodies that once reached handlers with a long field.
func FuzzLimitFields(f *testing.F) {
	long := strings.Repeat("a", field.Default+1)
	for _, s := range [][2]string{
		{"application/x-www-form-urlencoded", "organisation=Acme&email=ana%40acme.test"},
		{"application/x-www-form-urlencoded", "name=" + long},
		{"application/json", `{"name":"` + long + `"}`},
		{"", `{"name":"Ana"}`},
		{"multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"picture\"; filename=\"a.png\"\r\n\r\n" + long + "\r\n--b--\r\n"},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		var seen []string
		reached := false
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached = true
			r.PostFormValue("organisation") // parses the form as every form handler does
			for name, values := range r.PostForm {
				seen = append(append(seen, name), values...)
			}
			if r.MultipartForm != nil {
				for name, values := range r.MultipartForm.Value {
					seen = append(append(seen, name), values...)
				}
			}
			var v any
			if json.NewDecoder(r.Body).Decode(&v) == nil { // as the API's decode does
				seen = append(seen, jsonStrings(v)...)
			}
		})
		r := httptest.NewRequest(http.MethodPost, "/api/v1/members", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		limitFields(next, nil, log).ServeHTTP(w, r)
		for _, s := range seen {
			if len(s) > field.Default {
				t.Fatalf("a handler read a field of %d bytes", len(s))
			}
		}
		if reached || w.Code != http.StatusBadRequest {
			return
		}
		// Decoding grows a body at most threefold: an invalid byte in a JSON
		// string becomes U+FFFD, three bytes.
		if 3*len(body) <= field.Default {
			t.Fatalf("a body of %d bytes refused as too long", len(body))
		}
		if contentType == "application/x-www-form-urlencoded" {
			form, _ := url.ParseQuery(string(body))
			if field.CheckForm(form) == nil {
				t.Fatalf("a form with every field within the bound refused")
			}
		}
	})
}

// jsonStrings is every string, key or value, in v.
func jsonStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var all []string
		for _, e := range v {
			all = append(all, jsonStrings(e)...)
		}
		return all
	case map[string]any:
		var all []string
		for k, e := range v {
			all = append(append(all, k), jsonStrings(e)...)
		}
		return all
	}
	return nil
}
