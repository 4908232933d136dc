package server_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestEveryFormRouteRefusesCrossSitePostsAndIgnoresGets: a form posted
// from another site is refused on every form route, and a GET of any of
// them changes nothing, so no state changes on a safe method.
func TestEveryFormRouteRefusesCrossSitePostsAndIgnoresGets(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	before := changes(t, app)
	for _, path := range formRoutes {
		req, _ := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(url.Values{"organisation": {"Acme"},
			"email": {"ana@acme.test"}, "password": {servertest.Password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, resp.StatusCode)
		}
		if resp, _ := app.Get(t, c, path); resp.StatusCode >= 500 {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	if after := changes(t, app); after != before {
		t.Errorf("cross-site posts or GETs changed something: %s, before %s", after, before)
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusOK {
		t.Errorf("signed out by a GET or a cross-site post: %d", resp.StatusCode)
	}
}

// TestEverySignedInPageOffersSignOut: every page that needs a session has
// the Sign out button.
func TestEverySignedInPageOffersSignOut(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	shown := 0
	for _, path := range pages {
		if !strings.HasPrefix(path, "/dashboard") && !strings.HasPrefix(path, "/profile") && !strings.HasPrefix(path, "/admin") {
			continue // pages for signed-out visitors
		}
		shown++
		resp, body := app.Get(t, c, path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<form method="post" action="/logout">`) {
			t.Errorf("%s (%d) has no Sign out", path, resp.StatusCode)
		}
	}
	if shown < 15 {
		t.Errorf("only %d signed-in pages checked: is the list still right?", shown)
	}
}

// TestAccountSecurityChangesAskForThePasswordWhenStale: changes of one's
// second factors and ending another of one's sessions need an
// authentication under 10 minutes old; a stale session is sent to confirm
// the password and nothing changes.
func TestAccountSecurityChangesAskForThePasswordWhenStale(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	laptop, phone := env.Client(), env.Client()
	phone.SignIn("Acme", "ana@acme.test")
	laptop.SignIn("Acme", "ana@acme.test")
	ids := revokeForm.FindAllStringSubmatch(laptop.Get("/profile/sessions").Body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d sessions listed, want 2", len(ids))
	}
	phoneID := ids[1][1] // listed most recent first: the laptop, then the phone

	env.Clock.Advance(10*time.Minute + time.Second)
	for _, path := range []string{"/profile/security/totp", "/profile/security/backup", "/profile/security/phone",
		"/profile/security/phone/remove", "/profile/security/webauthn", "/profile/security/totp/1/remove",
		"/profile/sessions/" + phoneID + "/revoke"} {
		r := laptop.Post(path, url.Values{"phone": {"+447700900123"}})
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/reauthenticate?return_to=") {
			t.Errorf("stale POST %s: %d to %q, want sent to confirm the password", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if r := phone.Get("/dashboard"); r.StatusCode != http.StatusOK {
		t.Error("the other session ended before the password was confirmed")
	}
	if factors, _ := db.MemberMFAFactors(t.Context(), org.ID, memberID(t, db, org, "ana@acme.test")); len(factors) != 0 {
		t.Errorf("second factors set up from a stale session: %d", len(factors))
	}
	// Ending this browser's own session is signing out: never asked.
	own := ids[0][1]
	if r := laptop.Post("/profile/sessions/"+own+"/revoke", url.Values{}); r.Header.Get("Location") != "/login" {
		t.Errorf("revoking this browser when stale: sent to %q, want /login", r.Header.Get("Location"))
	}
}

// TestSecretsComeFromCryptoRand: no package of the module draws from
// math/rand, so every token, code, secret and salt comes from crypto/rand.
func TestSecretsComeFromCryptoRand(t *testing.T) {
	files := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "math/rand" || p == "math/rand/v2" {
				t.Errorf("%s imports %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d Go files read: is the walk still rooted at the module?", files)
	}
}
