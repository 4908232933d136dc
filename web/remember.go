package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"imslogin/internal/cookie"
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
	http.SetCookie(w, cookie.New(rememberCookie, url.QueryEscape(name), int(rememberFor/time.Second), secureResponse(w)))
}

// RememberedOrganisation is the organisation the browser last signed in
// to, or "". w is the response, which says whether the site is https.
func RememberedOrganisation(w http.ResponseWriter, r *http.Request) string {
	name, err := url.QueryUnescape(cookie.Value(r, rememberCookie, secureResponse(w)))
	if err != nil || len(name) > 200 {
		return ""
	}
	return strings.TrimSpace(name)
}
