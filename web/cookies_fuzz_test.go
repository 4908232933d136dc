package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// FuzzRememberedOrganisation: whatever the ims_org cookie holds, the name
// read from it is at most 200 bytes with no surrounding space, and a name
// the server remembered reads back as itself.
func FuzzRememberedOrganisation(f *testing.F) {
	for _, s := range []string{"Acme Corp", " Acme ", "%ZZ", "a%20b", "Ünïcødé", strings.Repeat("x", 201), "a;b=c", "\"quoted\""} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, cookie, name string) {
		r := httptest.NewRequest(http.MethodGet, "/login", nil)
		r.Header.Set("Cookie", rememberCookie+"="+cookie)
		got := RememberedOrganisation(r)
		if len(got) > 200 || got != strings.TrimSpace(got) {
			t.Fatalf("cookie %q read as %q", cookie, got)
		}
		w := httptest.NewRecorder()
		RememberOrganisation(w, name)
		r = httptest.NewRequest(http.MethodGet, "/login", nil)
		r.Header.Set("Cookie", w.Header().Get("Set-Cookie"))
		want := strings.TrimSpace(name)
		if len(name) > 200 {
			want = ""
		}
		if got := RememberedOrganisation(r); got != want {
			t.Fatalf("remembered %q, read back %q", name, got)
		}
	})
}

// FuzzTakeFlash: whatever the ims_flash cookie holds, the notice shown is
// one of the server's own (the cookie names a key, never the text), and
// the cookie is cleared.
func FuzzTakeFlash(f *testing.F) {
	for _, s := range []string{"signed-in", "admin-picture-saved", "<script>alert(1)</script>", "", "signed-in;x", "%73igned-in"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", flashCookie+"="+cookie)
		w := httptest.NewRecorder()
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
		if !known {
			t.Fatalf("cookie %q showed %+v", cookie, n)
		}
		if c := w.Result().Cookies(); len(c) != 1 || c[0].Name != flashCookie || c[0].MaxAge >= 0 {
			t.Fatalf("cookie %q not cleared: %v", cookie, c)
		}
	})
}
