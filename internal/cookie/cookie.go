// Package cookie makes the site's cookies alike: HttpOnly, SameSite=Lax and
// path /, and on a site served over https Secure with the __Host- prefix,
// which browsers accept only from this host over https with no Domain, so
// neither a sibling subdomain nor a plain-http page can plant or overwrite
// one. On plain http (development) names carry no prefix.
package cookie

import "net/http"

// Name is the name of the cookie base on a site served over https
// (secure) or not. Writing, reading and clearing all go through it.
func Name(base string, secure bool) string {
	if secure {
		return "__Host-" + base
	}
	return base
}

// New is the cookie base holding value for maxAge seconds (0: until the
// browser closes).
func New(base, value string, maxAge int, secure bool) *http.Cookie {
	return &http.Cookie{Name: Name(base, secure), Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode}
}

// Clear is the cookie that removes base: the same name and attributes,
// which a browser needs to match the one it holds (a __Host- cookie is
// cleared only by a Secure one with path /).
func Clear(base string, secure bool) *http.Cookie { return New(base, "", -1, secure) }

// Value is the value of the request's cookie base, "" if it has none.
func Value(r *http.Request, base string, secure bool) string {
	c, err := r.Cookie(Name(base, secure))
	if err != nil {
		return ""
	}
	return c.Value
}
