package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
)

// xssPayloads are what a page must never echo as markup: a script, and a
// value that tries to leave its attribute.
var xssPayloads = []string{`<script>alert(1)</script>`, `"'><svg onload=alert(1)>`}

// rawPayload reports the payload a body carries unescaped, if any.
func rawPayload(body string) string {
	for _, p := range []string{"<script>alert(1)", "<svg onload"} {
		if strings.Contains(body, p) {
			return p
		}
	}
	return ""
}

// TestInputIsEscapedOnEveryPage: hostile text sent in the query of every
// page and in every field of every form (which stores what it accepts: a
// member's name, a role, a portal) comes back as text, never as markup, on
// every page and answer, signed in as an Owner.
func TestInputIsEscapedOnEveryPage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	echoed := 0 // pages that show the query's text (escaped): the check has something to catch
	for _, payload := range xssPayloads {
		for _, path := range append(pages, "/o/"+app.Org.URLName+"/login") {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			q := url.Values{}
			for _, name := range []string{"return_to", "organisation", "email", "error", "q", "token", "id", "name"} {
				q.Set(name, payload)
			}
			resp, body := app.Get(t, c, path+sep+q.Encode())
			if strings.Contains(body, "&lt;script&gt;alert(1)") || strings.Contains(body, "&lt;svg onload") {
				echoed++
			}
			if p := rawPayload(body); p != "" {
				t.Errorf("GET %s with %s in its query: %d, the page carries %q unescaped", path, payload, resp.StatusCode, p)
			}
		}
		post := func(path string) {
			form := url.Values{}
			for _, name := range []string{"organisation", "email", "name", "description", "redirect_uris", "home_url",
				"password", "current_password", "return_to", "code", "token", "phone"} {
				form.Set(name, payload)
			}
			resp, body := app.Post(t, c, path, form)
			if p := rawPayload(body); p != "" {
				t.Errorf("POST %s with %s in every field: %d, the answer carries %q unescaped", path, payload, resp.StatusCode, p)
			}
		}
		for _, path := range formRoutes {
			if !endsTheSession[path] {
				post(path)
			}
		}
		if payload == xssPayloads[len(xssPayloads)-1] {
			checkStored(t, app, c)
			for path := range endsTheSession {
				post(path)
			}
		}
	}
	if echoed < 4 {
		t.Errorf("only %d pages showed the query's text: the check would miss what it looks for", echoed)
	}
}

// endsTheSession are the form routes that sign the Owner out or turn on
// multi-factor authentication for the organisation: posted last.
var endsTheSession = map[string]bool{"/logout": true, "/logout-everywhere": true, "/admin/members/1/signout": true,
	"/profile/sessions/1/revoke": true, "/admin/settings/mfa": true}

// checkStored opens every page again, still signed in: what the forms
// stored is shown as text.
func checkStored(t *testing.T, app *servertest.App, c *http.Client) {
	t.Helper()
	if resp, _ := app.Get(t, c, "/admin/members"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed out by the forms: %d", resp.StatusCode)
	}
	for _, path := range pages {
		if _, body := app.Get(t, c, path); rawPayload(body) != "" {
			t.Errorf("GET %s after the forms: stored text shown as markup", path)
		}
	}
}

// offSite are return addresses that leave the site, in the forms browsers
// and servers read them.
var offSite = []string{"https://evil.test/", "//evil.test/", `/\evil.test`, `\\evil.test`, "/%2F%2Fevil.test",
	"https:evil.test", "javascript:alert(1)", " //evil.test", "/\t/evil.test", "http://127.0.0.1.evil.test/"}

// staysOnSite reports whether a Location header keeps the browser on this
// site (a path, or the configured public URL).
func staysOnSite(loc, publicURL string) bool {
	if loc == "" || strings.HasPrefix(loc, publicURL+"/") {
		return true
	}
	u, err := url.Parse(loc)
	return err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(loc, "/") &&
		!strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, `/\`)
}

// TestNoReturnAddressLeavesTheSite: every way back a browser can be given
// (return_to on the sign-in pages, re-authentication and step-up, sent
// with a form or in the query) that points off the site ends on the site.
func TestNoReturnAddressLeavesTheSite(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	for _, target := range offSite {
		anon := app.Browser(t)
		for _, path := range []string{"/login", "/o/" + app.Org.URLName + "/login", "/reauthenticate", "/step-up",
			"/dashboard", "/logout"} {
			resp, _ := app.Get(t, anon, path+"?return_to="+url.QueryEscape(target))
			if loc := resp.Header.Get("Location"); !staysOnSite(loc, app.URL) {
				t.Errorf("GET %s?return_to=%s: redirected to %q", path, target, loc)
			}
		}
		c := app.Browser(t)
		resp, _ := app.Post(t, c, "/login", url.Values{"organisation": {"Acme"}, "email": {app.Member.Email},
			"password": {servertest.Password}, "return_to": {target}})
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 3 || !staysOnSite(loc, app.URL) {
			t.Errorf("sign-in with return_to %s: %d to %q, want a redirect on the site", target, resp.StatusCode, loc)
		}
		resp, _ = app.Post(t, c, "/reauthenticate", url.Values{"password": {servertest.Password}, "return_to": {target}})
		if loc := resp.Header.Get("Location"); !staysOnSite(loc, app.URL) {
			t.Errorf("re-authentication with return_to %s: redirected to %q", target, loc)
		}
		for _, path := range []string{"/login", "/step-up", "/reauthenticate"} {
			resp, _ := app.Get(t, c, path+"?return_to="+url.QueryEscape(target))
			if loc := resp.Header.Get("Location"); !staysOnSite(loc, app.URL) {
				t.Errorf("signed in, GET %s?return_to=%s: redirected to %q", path, target, loc)
			}
		}
	}
}

// TestHostAndForwardedHeadersMakeNoLinks: a request that names another
// host (Host, X-Forwarded-Host, X-Forwarded-Proto, Forwarded) gets links,
// redirects, emailed links and the issuer built from the configured public
// URL only; a password reset asked on another Host sends nothing.
func TestHostAndForwardedHeadersMakeNoLinks(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	poisoned := func(method, path string, form url.Values) (*http.Response, string) {
		return forged(t, app, method, path, form, true)
	}
	check := func(what string, resp *http.Response, body string) {
		t.Helper()
		if strings.Contains(body, "evil.test") || strings.Contains(resp.Header.Get("Location"), "evil.test") {
			t.Errorf("%s: the forged host is in the answer (%d, Location %q)", what, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, path := range []string{"/login", "/forgot-password", "/dashboard", "/o/" + app.Org.URLName + "/login",
		"/o/" + app.Org.URLName + "/.well-known/openid-configuration", "/no-such-page"} {
		resp, body := poisoned(http.MethodGet, path, nil)
		check("GET "+path, resp, body)
	}
	resp, body := poisoned(http.MethodGet, "/o/"+app.Org.URLName+"/.well-known/openid-configuration", nil)
	if !strings.Contains(body, `"issuer":"`+app.URL+`/o/`+app.Org.URLName+`"`) {
		t.Errorf("discovery with a forged host: %d %s, want the configured issuer", resp.StatusCode, body)
	}
	resp, body = poisoned(http.MethodPost, "/forgot-password", url.Values{"organisation": {"Acme"}, "email": {app.Member.Email}})
	check("POST /forgot-password", resp, body)
	if mail, _ := app.DB.OrganisationMail(context.Background(), app.Org.ID, 10); len(mail) != 0 {
		t.Errorf("a reset asked on a forged Host was sent: %q", mail[0].Text)
	}
	// The right Host behind forged forwarding headers: sent, linking to the configured URL.
	resp, body = forged(t, app, http.MethodPost, "/forgot-password", url.Values{"organisation": {"Acme"},
		"email": {app.Member.Email}}, false)
	check("POST /forgot-password, forwarding headers forged", resp, body)
	mail, err := app.DB.OrganisationMail(context.Background(), app.Org.ID, 10)
	if err != nil || len(mail) == 0 {
		t.Fatalf("no reset mail queued: %v (the request: %d)", err, resp.StatusCode)
	}
	if m := mail[0]; strings.Contains(m.Text+m.HTML, "evil.test") || !strings.Contains(m.Text, app.URL+"/reset-password?token=") {
		t.Errorf("the reset mail asked for with a forged host links to:\n%s", m.Text)
	}
}

// forged sends a request whose forwarding headers (and Host, if host) name
// evil.test.
func forged(t *testing.T, app *servertest.App, method, path string, form url.Values, host bool) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, app.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if host {
		req.Host = "evil.test"
	}
	req.Header.Set("X-Forwarded-Host", "evil.test")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Server", "evil.test")
	req.Header.Set("Forwarded", "host=evil.test;proto=https")
	resp, err := app.Browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
