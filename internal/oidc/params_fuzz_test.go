package oidc_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/oidc"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
)

// FuzzRequestParameters: whatever parameters an authorization or
// RP-initiated logout request carries (prompt, max_age, acr_values,
// redirect_uri, post_logout_redirect_uri, id_token_hint, …), signed in or
// not, the browser is sent only to this site or to a redirect URI
// registered for a portal, matched exactly; logout without an ID token
// this server signed never goes to the portal; and no parameter makes a
// server error.
func FuzzRequestParameters(f *testing.F) {
	const bye = "http://127.0.0.1:9/bye"
	reg := &registry{portals: map[string]oidc.Portal{
		"spa": {ClientID: "spa", Name: "Team Board", RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{bye}, FirstParty: true},
		"web": {ClientID: "web", Name: "Payroll", RedirectURIs: []string{redirectURI}, Confidential: true, FirstParty: true},
	}, secrets: map[string]string{"web": "web-secret"}, denied: map[string]bool{}}
	app := servertest.New(f, servertest.Options{Server: server.Options{Portals: reg}})
	issuer := app.URL + "/o/acme"
	resp, body := app.Get(f, app.Browser(f), "/o/acme/.well-known/openid-configuration")
	var doc struct {
		Authorization string `json:"authorization_endpoint"`
		EndSession    string `json:"end_session_endpoint"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(doc.EndSession, issuer) {
		f.Fatalf("discovery: %d %s", resp.StatusCode, body)
	}
	signedIn, signedOut := app.Browser(f), app.Browser(f)
	app.SignIn(f, signedIn, "ana@acme.test")

	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	for _, q := range []string{
		"client_id=spa&response_type=code&scope=openid&state=s&code_challenge_method=S256&code_challenge=" + challenge + "&redirect_uri=" + url.QueryEscape(redirectURI),
		"client_id=spa&response_type=code&scope=openid&code_challenge_method=S256&code_challenge=" + challenge + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback%2F..%2Fevil",
		"client_id=spa&response_type=code&scope=openid&code_challenge_method=S256&code_challenge=" + challenge + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallbackx",
		"client_id=spa&response_type=code&scope=openid&code_challenge_method=S256&code_challenge=" + challenge + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%40evil.example%2Fcallback",
		"client_id=spa&response_type=code&scope=openid&code_challenge_method=S256&code_challenge=" + challenge + "&redirect_uri=HTTP%3A%2F%2F127.0.0.1%3A9%2Fcallback",
		"client_id=web&response_type=code&scope=openid&prompt=none&max_age=0&acr_values=mfa&redirect_uri=" + url.QueryEscape(redirectURI),
		"client_id=web&response_type=code&scope=openid&prompt=login+consent&max_age=-1&acr_values=pwd+mfa&redirect_uri=" + url.QueryEscape(redirectURI),
		"client_id=web&response_type=code&scope=openid&max_age=99999999999999999999&redirect_uri=" + url.QueryEscape(redirectURI),
		"client_id=web&response_type=code&scope=openid&prompt=none&id_token_hint=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.&redirect_uri=" + url.QueryEscape(redirectURI),
		"client_id=nobody&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fevil.example%2F",
		"request_uri=https%3A%2F%2Fevil.example%2Fr&client_id=spa",
	} {
		f.Add(q, false, true)
		f.Add(q, false, false)
	}
	for _, q := range []string{"", "client_id=spa&post_logout_redirect_uri=" + url.QueryEscape(bye),
		"client_id=spa&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F&state=x",
		"id_token_hint=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.&post_logout_redirect_uri=" + url.QueryEscape(bye),
		"client_id=spa&post_logout_redirect_uri=%2F%2Fevil.example"} {
		f.Add(q, true, true)
	}
	registered := map[string]bool{redirectURI: true, bye: true}
	// visit follows the browser through this site and returns where it
	// leaves it for, or "" if it stays; a step refused fails the test.
	visit := func(t testing.TB, c *http.Client, target string) string {
		for range 5 {
			resp, err := c.Get(target)
			if err != nil {
				return "" // a query Go's client will not send
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("%s: %d\n%s", target, resp.StatusCode, page)
			}
			to := resp.Header.Get("Location")
			if to == "" {
				to = toPortal(string(page))
			}
			if strings.HasPrefix(to, app.URL+"/") {
				to = strings.TrimPrefix(to, app.URL)
			}
			if to == "" || !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") || strings.Contains(to, "\\") {
				return to
			}
			target = app.URL + to
		}
		return ""
	}
	// The property can fail: a good request does reach the portal.
	good := "client_id=spa&response_type=code&scope=openid&state=s&code_challenge_method=S256&code_challenge=" + challenge +
		"&redirect_uri=" + url.QueryEscape(redirectURI)
	if to := visit(f, signedIn, doc.Authorization+"?"+good); !strings.HasPrefix(to, redirectURI+"?code=") {
		f.Fatalf("a good request went to %q", to)
	}
	f.Fuzz(func(t *testing.T, query string, logout, withSession bool) {
		target := doc.Authorization
		if logout {
			target = doc.EndSession
		}
		c := signedOut
		if withSession {
			c = signedIn
		}
		to := visit(t, c, target+"?"+query)
		if to == "" {
			return
		}
		u, err := url.Parse(to)
		before, _, _ := strings.Cut(to, "?")
		switch {
		case err != nil || !registered[before] || u.User != nil || u.Fragment != "":
			t.Fatalf("%s?%s: sent to %q, not a registered URI", target, query, to)
		case logout:
			t.Fatalf("%s?%s: logout without a valid ID token sent to the portal, %q", target, query, to)
		}
	})
}
