package signin_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
)

// TestOrganisationSignInPage: /o/{url-name}/login shows the organisation,
// fixed, and keeps return_to as /login does; an unknown URL name is the
// site's 404 page.
func TestOrganisationSignInPage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	resp, body := app.Get(t, c, "/o/acme/login?return_to=/profile")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /o/acme/login: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<form method="post" action="/o/acme/login"`,
		`<dd id="organisation-name">Acme</dd>`,
		`<input type="hidden" name="organisation" value="Acme">`,
		`<input type="hidden" name="return_to" value="/profile">`,
		`href="/forgot-password?organisation=Acme"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="organisation" name="organisation" type="text"`) {
		t.Error("the organisation can be typed on its own sign-in page")
	}
	if _, body := app.Get(t, c, "/o/acme/login?return_to=https://evil.test/"); strings.Contains(body, "evil.test") {
		t.Error("a return_to to another site is kept")
	}
	_, plain := app.Get(t, c, "/login")
	if !strings.Contains(plain, `action="/login"`) || !strings.Contains(plain, `id="organisation" name="organisation" type="text"`) {
		t.Error("/login no longer asks for the organisation")
	}

	for _, path := range []string{"/o/nope/login", "/o/ACME/login", "/o/acme-2/login"} {
		resp, body := app.Get(t, c, path)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Page not found") {
			t.Errorf("GET %s: %d, want the 404 page", path, resp.StatusCode)
		}
		resp, body = app.Post(t, c, path, form("Acme", "ana@acme.test", servertest.Password))
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Page not found") || sessionCookie(resp, "ims_session") != nil {
			t.Errorf("POST %s: %d, want the 404 page and no session", path, resp.StatusCode)
		}
	}
}

// TestOrganisationSignInPageSignsIn: the organisation comes from the
// address, never from the form, and the sign-in is /login's in everything
// else: the notices, the lockout it shares, where it lands.
func TestOrganisationSignInPageSignsIn(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	globex := servertest.NewOrganisation(t, app.DB, "Globex", nil)
	servertest.AddMember(t, app.DB, globex, "ana@acme.test", "Ana at Globex") // same email and password

	c := app.Browser(t)
	f := form("Globex", "ana@acme.test", servertest.Password)
	f.Set("return_to", "/profile")
	resp, body := app.Post(t, c, "/o/acme/login", f)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("POST /o/acme/login: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, who := app.Get(t, c, "/whoami")
	var v struct {
		Organisation struct{ Name string } `json:"organisation"`
	}
	if err := json.Unmarshal([]byte(who), &v); err != nil || v.Organisation.Name != "Acme" {
		t.Errorf("signed in to %q (%v), want Acme: the form's organisation was used", v.Organisation.Name, err)
	}
	if resp, _ := app.Get(t, c, "/o/acme/login"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("signed in, GET /o/acme/login: %d to %q, want 303 to /dashboard", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A password right for Globex only fails on Acme's page with /login's notice.
	other := app.Browser(t)
	servertest.AddMember(t, app.DB, globex, "bo@globex.test", "Bo")
	resp, onPage := app.Post(t, other, "/o/acme/login", form("Globex", "bo@globex.test", servertest.Password))
	_, onLogin := app.Post(t, other, "/login", form("Acme", "bo@globex.test", servertest.Password))
	if resp.StatusCode != http.StatusUnauthorized || noticeOf(onPage) == "" || noticeOf(onPage) != noticeOf(onLogin) {
		t.Errorf("a Globex member on Acme's page: %d, notice %q, want 401 and /login's %q", resp.StatusCode, noticeOf(onPage), noticeOf(onLogin))
	}
	if !strings.Contains(onPage, `action="/o/acme/login"`) || !strings.Contains(onPage, `value="bo@globex.test"`) {
		t.Error("the failure does not show the organisation's page again with the email")
	}
	if resp, body := app.Post(t, other, "/o/acme/login", url.Values{"email": {"ana@acme.test"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "Enter your email address and password.") {
		t.Errorf("no password: %d", resp.StatusCode)
	}

	// Failures on either page count against the same lockout (5 by default).
	for range 4 {
		app.Post(t, other, "/login", form("Acme", "ana@acme.test", "wrong password for ana"))
	}
	if resp, body := app.Post(t, other, "/o/acme/login", form("", "ana@acme.test", "wrong password for ana")); resp.StatusCode != http.StatusLocked ||
		!strings.Contains(body, "Account locked") {
		t.Errorf("the fifth failure, on the organisation's page: %d, want 423 Account locked", resp.StatusCode)
	}
	if resp, _ := app.Post(t, other, "/o/acme/login", form("", "ana@acme.test", servertest.Password)); resp.StatusCode != http.StatusLocked {
		t.Errorf("the right password during the lock: %d, want 423", resp.StatusCode)
	}
	// Globex's Ana is another identity: not locked.
	if resp, _ := app.Post(t, other, "/o/globex/login", form("Acme", "ana@acme.test", servertest.Password)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("Globex's Ana on Globex's page: %d, want 303", resp.StatusCode)
	}
}
