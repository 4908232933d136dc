package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"imslogin/internal/benchseed"
	"imslogin/internal/server/servertest"
)

// TestSingleSignOnRoundTrips pins the statements of the token endpoints
// and of a code flow for a member who has a session, as
// TestDatabaseRoundTrips does for sign-in: the organisation and the portal
// with its secrets are cached (a second), a token is read with its member
// and session.
func TestSingleSignOnRoundTrips(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	if err := benchseed.SeedPortal(t.Context(), app.DB, app.Org.ID); err != nil {
		t.Fatal(err)
	}
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	issuer := app.URL + "/o/acme"
	// The fewest of three runs after a warm one: a run that outlasts the
	// portal cache's second reads the portal once more.
	count := func(name string, want int64, do func()) {
		t.Helper()
		do() // once to warm the caches
		fewest := int64(1 << 62)
		for range 3 {
			before := app.DB.RoundTrips()
			do()
			fewest = min(fewest, app.DB.RoundTrips()-before)
		}
		if fewest != want {
			t.Errorf("%s sent %d statements, want %d", name, fewest, want)
		}
	}
	var tokens map[string]any
	// authorize (6), answered at once for a browser with a session: the
	// session (the portal is open to every member: no access list to
	// read), then one transaction (begin, the portal's use, the audit
	// entry, the request stored signed in with its code, commit); token
	// (7): the code's request read (the secret and verifier are checked
	// before it is spent), a transaction (begin, the code used, the
	// session's portals, the access and refresh tokens in one statement,
	// commit), the member for the ID token.
	count("a code flow", 13, func() {
		code, verifier := authorize(t, app, c, issuer)
		tokens = tokenRequest(t, issuer, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {benchseed.PortalRedirectURI}, "code_verifier": {verifier}})
	})
	access := tokens["access_token"].(string)
	// the token with its member and session in one read
	count("userinfo", 1, func() {
		req, _ := http.NewRequest(http.MethodGet, issuer+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("userinfo: %v %v", resp, err)
		}
		resp.Body.Close()
	})
	// the token with its member and session
	count("introspection", 1, func() {
		if got := tokenRequestAt(t, issuer+"/oauth/introspect", url.Values{"token": {access}}); got["active"] != true {
			t.Fatalf("introspection: %v", got)
		}
	})
	// the refresh token with its member; one transaction: begin,
	// rotation, access and refresh tokens (one statement), commit
	refresh := tokens["refresh_token"].(string)
	count("a refresh grant", 5, func() {
		tokens = tokenRequest(t, issuer, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
		refresh = tokens["refresh_token"].(string)
	})
	// the token
	count("a client-credentials grant", 1, func() {
		tokenRequest(t, issuer, url.Values{"grant_type": {"client_credentials"}})
	})
}

// authorize asks for a code with PKCE as the signed-in browser c.
func authorize(t *testing.T, app *servertest.App, c *http.Client, issuer string) (code, verifier string) {
	t.Helper()
	verifier = oauth2.GenerateVerifier()
	q := url.Values{"client_id": {benchseed.PortalClientID}, "redirect_uri": {benchseed.PortalRedirectURI},
		"response_type": {"code"}, "scope": {"openid email offline_access"}, "state": {"s"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	target := issuer + "/authorize?" + q.Encode()
	for range 3 {
		resp, err := c.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		target = resp.Header.Get("Location")
		if strings.HasPrefix(target, benchseed.PortalRedirectURI) {
			u, _ := url.Parse(target)
			return u.Query().Get("code"), verifier
		}
		if strings.HasPrefix(target, "/") {
			target = app.URL + target
		}
	}
	t.Fatalf("no code: last answer to %s", target)
	return "", ""
}

func tokenRequest(t *testing.T, issuer string, form url.Values) map[string]any {
	t.Helper()
	got := tokenRequestAt(t, issuer+"/oauth/token", form)
	if got["access_token"] == nil {
		t.Fatalf("token request %v: %v", form.Get("grant_type"), got)
	}
	return got
}

func tokenRequestAt(t *testing.T, endpoint string, form url.Values) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(benchseed.PortalClientID, benchseed.PortalSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}
