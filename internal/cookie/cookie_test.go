package cookie

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHTTPSCookiesAreHostPrefixed: on https a cookie, and the one that
// clears it, are __Host- cookies (Secure, path /, no Domain) and reading
// finds only that name; on http the name is bare.
func TestHTTPSCookiesAreHostPrefixed(t *testing.T) {
	for _, secure := range []bool{true, false} {
		want := "ims_flash"
		if secure {
			want = "__Host-ims_flash"
		}
		for _, c := range []*http.Cookie{New("ims_flash", "x", 60, secure), Clear("ims_flash", secure)} {
			if c.Name != want || c.Secure != secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("https %v: cookie %+v, want %s, Secure %v, path /, HttpOnly, Lax", secure, c, want, secure)
			}
		}
		if c := Clear("ims_flash", secure); c.MaxAge != -1 {
			t.Errorf("https %v: clearing cookie has MaxAge %d", secure, c.MaxAge)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(&http.Cookie{Name: "ims_flash", Value: "bare"})
		r.AddCookie(&http.Cookie{Name: "__Host-ims_flash", Value: "prefixed"})
		wantValue := map[bool]string{true: "prefixed", false: "bare"}[secure]
		if got := Value(r, "ims_flash", secure); got != wantValue {
			t.Errorf("https %v: read %q, want %q", secure, got, wantValue)
		}
	}
}
