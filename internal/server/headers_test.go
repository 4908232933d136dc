package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/server/servertest"
)

// pages are the site's pages a browser opens, signed in (as an Owner) or not.
var pages = []string{"/login", "/forgot-password", "/reset-password?token=x", "/invitation?token=x", "/no-such-page",
	"/dashboard", "/profile", "/profile/password", "/profile/email", "/profile/security", "/profile/security/phone",
	"/profile/sessions", "/profile/portals", "/admin/members", "/admin/members/new", "/admin/settings", "/admin/roles",
	"/admin/audit", "/admin/tokens", "/admin/portals", "/admin/portals/new"}

// checkHeaders reports a page's missing security headers and weak cookies.
func checkHeaders(t *testing.T, path string, resp *http.Response, secure bool) {
	t.Helper()
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", path, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP %q allows inline code", path, csp)
	}
	for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s %q, want %q", path, name, got, want)
		}
	}
	if got := h.Get("Strict-Transport-Security"); secure != (got != "") {
		t.Errorf("%s: HSTS %q on a site served over https: %v", path, got, secure)
	} else if secure && (!strings.Contains(got, "includeSubDomains") || hstsMaxAge(got) < 365*24*3600) {
		t.Errorf("%s: HSTS %q, want a year or more, subdomains included", path, got)
	}
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure {
			t.Errorf("%s: cookie %s HttpOnly %v, SameSite %v, Secure %v (https %v)", path, c.Name, c.HttpOnly, c.SameSite, c.Secure, secure)
		}
	}
}

// hstsMaxAge is the max-age of a Strict-Transport-Security value, 0 if none.
func hstsMaxAge(v string) int {
	for _, d := range strings.Split(v, ";") {
		if age, ok := strings.CutPrefix(strings.TrimSpace(d), "max-age="); ok {
			n, _ := strconv.Atoi(age)
			return n
		}
	}
	return 0
}

// TestHeadersAndCookiesOnEveryPage: every page, signed in or not, carries
// the security headers, and every cookie set on the way (session, flash)
// is HttpOnly and SameSite=Lax, and Secure exactly when the site is https.
func TestHeadersAndCookiesOnEveryPage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	resp, _ := app.Post(t, c, "/login", map[string][]string{"organisation": {"Acme"}, "email": {"ana@acme.test"},
		"password": {servertest.Password}})
	checkHeaders(t, "POST /login", resp, false)
	for _, path := range append(pages, "/o/"+app.Org.URLName+"/login") {
		resp, _ := app.Get(t, c, path)
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		checkHeaders(t, path, resp, false)
	}
	https := servertest.New(t, servertest.Options{Config: func(c *config.Config) { c.PublicURL = "https://login.example.test" }})
	resp, _ = https.Post(t, https.Browser(t), "/login", map[string][]string{"organisation": {"Acme"}, "email": {"ana@acme.test"},
		"password": {servertest.Password}})
	checkHeaders(t, "POST /login over https", resp, true)
	for _, path := range pages {
		resp, _ := https.Get(t, https.Browser(t), path)
		checkHeaders(t, path+" over https", resp, true)
	}
}
