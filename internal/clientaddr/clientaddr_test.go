package clientaddr

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMiddleware(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		sent         []string
		want         string
	}{
		{"no header configured: the peer, whatever the client sends", "", []string{"203.0.113.9"}, "192.0.2.1"},
		{"the proxy's entry is the last one", "X-Forwarded-For", []string{"10.9.9.9, 203.0.113.9"}, "203.0.113.9"},
		{"last of several header lines", "X-Forwarded-For", []string{"10.9.9.9", "203.0.113.7"}, "203.0.113.7"},
		{"IPv6 with brackets and port", "X-Forwarded-For", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"Forwarded header", "Forwarded", []string{`for=10.0.0.1, for="[2001:db8::2]";proto=https`}, "2001:db8::2"},
		{"IPv4 with port", "X-Real-IP", []string{"203.0.113.5:1234"}, "203.0.113.5"},
		{"malformed: the peer", "X-Forwarded-For", []string{"not-an-address"}, "192.0.2.1"},
		{"missing: the peer", "X-Forwarded-For", nil, "192.0.2.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "192.0.2.1:5555"
			for _, v := range tc.sent {
				r.Header.Add("X-Forwarded-For", v)
				r.Header.Add("Forwarded", v)
				r.Header.Add("X-Real-IP", v)
			}
			var got string
			Middleware(tc.header, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = Of(r) })).
				ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOfWithoutMiddleware(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[2001:db8::5]:443"
	if got := Of(r); got != "2001:db8::5" {
		t.Errorf("got %q", got)
	}
}
