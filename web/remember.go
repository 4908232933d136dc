package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// rememberCookie holds the name of the organisation this browser last
// signed in to, so the sign-in page can fill it in. It names no person and
// survives signing out; it is a convenience, never trusted for anything.
const rememberCookie = "ims_org"

// rememberFor is how long the browser remembers the organisation.
const rememberFor = 400 * 24 * time.Hour

// RememberOrganisation makes the sign-in page fill in name next time. On a
// site served over https (SecureResponses) the cookie is Secure.
func RememberOrganisation(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: rememberCookie, Value: url.QueryEscape(name), Path: "/",
		MaxAge: int(rememberFor / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureResponse(w)})
}

// RememberedOrganisation is the organisation the browser last signed in
// to, or "".
func RememberedOrganisation(r *http.Request) string {
	c, err := r.Cookie(rememberCookie)
	if err != nil {
		return ""
	}
	name, err := url.QueryUnescape(c.Value)
	if err != nil || len(name) > 200 {
		return ""
	}
	return strings.TrimSpace(name)
}
