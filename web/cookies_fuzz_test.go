package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// response is a response of a site served over https, or over plain http.
func response(secure bool) (*httptest.ResponseRecorder, http.ResponseWriter) {
	rec := httptest.NewRecorder()
	if secure {
		return rec, SecureResponses(rec)
	}
	return rec, rec
}

// FuzzRememberedOrganisation: whatever Cookie header a browser sends, the
// organisation read from it is at most 200 bytes with no surrounding space,
// and on https only from the __Host- cookie; a name the server remembered
// reads back as itself.
func FuzzRememberedOrganisation(f *testing.F) {
	for _, s := range []string{"Acme Corp", " Acme ", "%ZZ", "a%20b", "Ünïcødé", strings.Repeat("x", 201), "a;b=c", "\"quoted\""} {
		f.Add("ims_org="+s, s, false)
		f.Add("ims_org="+s, s, true)
		f.Add("__Host-ims_org="+s, s, true)
	}
	f.Fuzz(func(t *testing.T, header, name string, secure bool) {
		r := httptest.NewRequest(http.MethodGet, "/login", nil)
		r.Header.Set("Cookie", header)
		_, w := response(secure)
		got := RememberedOrganisation(w, r)
		if len(got) > 200 || got != strings.TrimSpace(got) || (secure && got != "" && !strings.Contains(header, "__Host-"+rememberCookie)) {
			t.Fatalf("https %v: %q read as %q", secure, header, got)
		}
		rec, w := response(secure)
		RememberOrganisation(w, name)
		r = httptest.NewRequest(http.MethodGet, "/login", nil)
		for _, c := range rec.Result().Cookies() {
			r.AddCookie(c)
		}
		want := strings.TrimSpace(name)
		if len(name) > 200 {
			want = ""
		}
		if got := RememberedOrganisation(w, r); got != want {
			t.Fatalf("https %v: remembered %q, read back %q", secure, name, got)
		}
	})
}

// FuzzTakeFlash: whatever Cookie header a browser sends, the notice shown
// is one of the server's own (the cookie names a key, never the text), on
// https only from the __Host- cookie, and the cookie is cleared.
func FuzzTakeFlash(f *testing.F) {
	for _, s := range []string{"signed-in", "admin-picture-saved", "<script>alert(1)</script>", "", "signed-in;x", "%73igned-in"} {
		f.Add("ims_flash="+s, false)
		f.Add("ims_flash="+s, true)
		f.Add("__Host-ims_flash="+s, true)
	}
	f.Fuzz(func(t *testing.T, header string, secure bool) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", header)
		rec, w := response(secure)
		n := TakeFlash(w, r)
		if n.Text == "" {
			return
		}
		known := false
		for _, table := range []map[string]Notice{flashes, adminFlashes} {
			for _, v := range table {
				known = known || reflect.DeepEqual(v, n)
			}
		}
		if !known || (secure && !strings.Contains(header, "__Host-"+flashCookie)) {
			t.Fatalf("https %v: %q showed %+v", secure, header, n)
		}
		if c := rec.Result().Cookies(); len(c) != 1 || !strings.HasSuffix(c[0].Name, flashCookie) || c[0].MaxAge >= 0 || c[0].Secure != secure {
			t.Fatalf("https %v: %q not cleared: %v", secure, header, c)
		}
	})
}
