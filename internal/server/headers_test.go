package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/loginservice"
	"imslogin/internal/loginservice/loginservicetest"
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
		if prefixed := strings.HasPrefix(c.Name, "__Host-"); prefixed != secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("%s: cookie %s, path %q, domain %q: want path / and no domain, and the __Host- prefix exactly on https (%v)",
				path, c.Name, c.Path, c.Domain, secure)
		}
	}
}

// checkedBrowser is a browser of app that checks the headers and cookies
// of every answer it gets. On an https site its cookie jar treats the
// test's plain-http address as https, so Secure cookies come back.
func checkedBrowser(t *testing.T, app *servertest.App, secure bool) *http.Client {
	c := app.Browser(t)
	c.Transport = checking{t: t, secure: secure}
	if secure {
		c.Jar = httpsJar{c.Jar}
	}
	return c
}

type checking struct {
	t      *testing.T
	secure bool
}

func (c checking) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		checkHeaders(c.t, r.Method+" "+r.URL.Path, resp, c.secure)
	}
	return resp, err
}

type httpsJar struct{ http.CookieJar }

func (j httpsJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.CookieJar.SetCookies(asHTTPS(u), cookies)
}
func (j httpsJar) Cookies(u *url.URL) []*http.Cookie { return j.CookieJar.Cookies(asHTTPS(u)) }

func asHTTPS(u *url.URL) *url.URL {
	v := *u
	v.Scheme = "https"
	return &v
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
// the security headers, and every cookie set on the way (session, flash,
// organisation, sign-in flow, remembered browser, authorization binding,
// login service) is HttpOnly, SameSite=Lax, path /, and Secure with the
// __Host- prefix exactly when the site is https; cookies are cleared under
// the name they were set with.
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
	for _, path := range pages {
		resp, _ := https.Get(t, https.Browser(t), path)
		checkHeaders(t, path+" over https", resp, true)
	}
	everyCookieOverHTTPS(t)
}

// everyCookieOverHTTPS walks a browser on an https site through every
// cookie the server sets, checking each answer (checkedBrowser), and that
// the cookies meant to go are cleared.
func everyCookieOverHTTPS(t *testing.T) {
	ch := loginservicetest.NewOn(t, servertest.Options{Config: func(c *config.Config) { c.PublicURL = "https://login.example.test" }})
	app := ch.App
	requireMFA(t, app, "email")
	c := checkedBrowser(t, app, true)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
		t.Fatalf("after the password: %s, want /login/mfa", loc)
	}
	app.Get(t, c, "/login/mfa")
	if resp, body := submitCode(t, app, c, "email", lastEmailCode(t, app, "ana@acme.test"), true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second factor over https: %d\n%s", resp.StatusCode, body)
	}
	for _, path := range pages {
		if resp, _ := app.Get(t, c, path); resp.StatusCode >= 500 {
			t.Errorf("%s over https: %d", path, resp.StatusCode)
		}
	}
	creds := registerPortal(t, app)
	q := url.Values{"client_id": {creds.ClientID}, "redirect_uri": {"https://reports.acme.test/callback"},
		"response_type": {"code"}, "scope": {"openid"}, "state": {"s"}}
	app.Get(t, c, "/o/"+app.Org.URLName+"/authorize?"+q.Encode())
	app.Get(t, c, loginservice.StartPath(app.Org.URLName, ch.Service.ID))
	held := map[string]bool{}
	u, _ := url.Parse(app.URL)
	for _, ck := range c.Jar.Cookies(u) {
		held[ck.Name] = true
	}
	for _, name := range []string{"__Host-ims_session", "__Host-ims_org", "__Host-ims_trusted", "__Host-ims_authorize", "__Host-ims_login_service"} {
		if !held[name] {
			t.Errorf("over https the browser holds %v, not %s", held, name)
		}
	}
	if held["__Host-ims_signin"] || held["__Host-ims_flash"] {
		t.Errorf("over https the browser still holds %v: the sign-in flow's and the notice's cookies were not cleared", held)
	}
	app.Post(t, c, "/logout", nil)
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("dashboard after signing out over https: %d, want a redirect to sign in", resp.StatusCode)
	}
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "__Host-ims_session" {
			t.Error("the session cookie survived signing out over https")
		}
	}
}
