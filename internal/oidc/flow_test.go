package oidc_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"imslogin/internal/oidc"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

const redirectURI = "http://127.0.0.1:9/callback"

// registry is a portal registry for tests.
type registry struct {
	portals map[string]oidc.Portal
	secrets map[string]string
	denied  map[string]bool // emails not allowed in
}

func (r *registry) PortalByClientID(_ context.Context, _ int64, id string) (oidc.Portal, error) {
	p, ok := r.portals[id]
	if !ok {
		return p, store.ErrNotFound
	}
	return p, nil
}

func (r *registry) CheckPortalSecret(_ context.Context, _ int64, p oidc.Portal, secret string) error {
	want, ok := r.secrets[p.ClientID]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}

func (r *registry) MayUse(_ context.Context, _ int64, _ oidc.Portal, m store.Member) (bool, error) {
	return !r.denied[m.Email], nil
}

type env struct {
	app      *servertest.App
	issuer   string
	provider *gooidc.Provider
	reg      *registry
}

func newEnv(t *testing.T) *env { return newEnvOn(t, nil) }

// newEnvOn is newEnv on db (nil: a fresh SQLite database).
func newEnvOn(t *testing.T, db *sqlstore.DB) *env {
	t.Helper()
	reg := &registry{portals: map[string]oidc.Portal{
		"spa": {ClientID: "spa", Name: "Team Board", RedirectURIs: []string{redirectURI},
			PostLogoutRedirectURIs: []string{"http://127.0.0.1:9/bye"}, FirstParty: true, AllowedScopes: oidc.Scopes},
		"web": {ClientID: "web", Name: "Payroll", RedirectURIs: []string{redirectURI}, Confidential: true, FirstParty: true,
			AllowedScopes: oidc.Scopes},
		"other": {ClientID: "other", Name: "Partner App", RedirectURIs: []string{redirectURI}, Confidential: true,
			AllowedScopes: oidc.Scopes},
	}, secrets: map[string]string{"web": "web-secret", "other": "other-secret"}, denied: map[string]bool{}}
	app := servertest.New(t, servertest.Options{DB: db, Server: server.Options{Portals: reg}})
	issuer := app.URL + "/o/acme"
	provider, err := gooidc.NewProvider(context.Background(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	return &env{app: app, issuer: issuer, provider: provider, reg: reg}
}

func (e *env) config(clientID string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: clientID, ClientSecret: e.reg.secrets[clientID], Endpoint: e.provider.Endpoint(),
		RedirectURL: redirectURI, Scopes: append([]string{gooidc.ScopeOpenID}, scopes...)}
}

// follow makes GET requests with the browser until a redirect leaves the
// site (to the portal) or a page answers; it returns that last answer.
func (e *env) follow(t *testing.T, c *http.Client, target string) (*http.Response, string) {
	t.Helper()
	for range 10 {
		if strings.HasPrefix(target, "/") {
			target = e.app.URL + target
		}
		resp, err := c.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if to := toPortal(string(body)); resp.StatusCode == http.StatusOK && to != "" {
			// The page that moves on to the portal after a sign-in form: as a redirect.
			resp.StatusCode = http.StatusSeeOther
			resp.Header.Set("Location", to)
		}
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || strings.HasPrefix(loc, redirectURI) || strings.HasPrefix(loc, "http://127.0.0.1:9/") {
			return resp, string(body)
		}
		target = loc
	}
	t.Fatal("too many redirects")
	return nil, ""
}

var metaRefresh = regexp.MustCompile(`<meta http-equiv="refresh" content="0; url=([^"]+)">`)

// toPortal is the address the page moving on to a portal goes to, if body
// is that page.
func toPortal(body string) string {
	m := metaRefresh.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "Signing you in to") {
		return ""
	}
	return html.UnescapeString(m[1])
}

// signIn posts the form of the organisation's own sign-in page, where the
// authorization sent the browser.
func (e *env) signIn(t *testing.T, c *http.Client, loginURL string) string {
	t.Helper()
	u, err := url.Parse(loginURL)
	if err != nil || u.Path != "/o/acme/login" {
		t.Fatalf("sent to %q, want the organisation's sign-in page", loginURL)
	}
	q := u.Query()
	if _, page := e.app.Get(t, c, u.RequestURI()); !strings.Contains(page, "Acme") {
		t.Errorf("the sign-in page does not show the organisation:\n%s", page)
	}
	resp, body := e.app.Post(t, c, u.Path, url.Values{"email": {"ana@acme.test"},
		"password": {servertest.Password}, "return_to": {q.Get("return_to")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// codeFrom checks a redirect to the portal and returns its code.
func (e *env) codeFrom(t *testing.T, resp *http.Response, state string) string {
	t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), redirectURI) {
		t.Fatalf("got %d to %q, want a redirect to the portal", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("error") != "" {
		t.Fatalf("got error %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != state {
		t.Errorf("state %q, want %q", q.Get("state"), state)
	}
	if q.Get("iss") != e.issuer {
		t.Errorf("iss %q, want %q (RFC 9207)", q.Get("iss"), e.issuer)
	}
	return q.Get("code")
}

// login runs the code flow with PKCE through the real sign-in pages and
// returns the browser, the verifier and the code.
func (e *env) login(t *testing.T, conf *oauth2.Config, opts ...oauth2.AuthCodeOption) (*http.Client, string, string) {
	t.Helper()
	c := e.app.Browser(t)
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-1", append(opts, oauth2.S256ChallengeOption(verifier))...)
	resp, _ := e.follow(t, c, authURL)
	if resp.StatusCode == http.StatusSeeOther && strings.HasSuffix(resp.Header.Get("Location"), "/login") {
		t.Fatal("follow stopped at the sign-in page")
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: %d %s, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	back := e.signIn(t, c, resp.Request.URL.String())
	resp, _ = e.follow(t, c, back)
	return c, verifier, e.codeFrom(t, resp, "state-1")
}

func TestDiscoveryAndKeys(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != e.issuer {
		t.Errorf("issuer %v, want %v", doc["issuer"], e.issuer)
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "revocation_endpoint",
		"introspection_endpoint", "end_session_endpoint", "response_types_supported", "subject_types_supported",
		"id_token_signing_alg_values_supported", "scopes_supported"} {
		if doc[k] == nil {
			t.Errorf("discovery lacks %s", k)
		}
	}
	if doc["authorization_response_iss_parameter_supported"] != true {
		t.Error("discovery does not announce iss in the authorization response")
	}
	resp, err = http.Get(doc["jwks_uri"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct{ Keys []map[string]any }
	json.NewDecoder(resp.Body).Decode(&jwks)
	resp.Body.Close()
	seen := map[any]bool{}
	for _, k := range jwks.Keys {
		if seen[k["kid"]] {
			t.Errorf("kid %v appears twice", k["kid"])
		}
		seen[k["kid"]] = true
		if k["d"] != nil {
			t.Error("JWKS publishes a private key")
		}
	}
	if len(jwks.Keys) == 0 || jwks.Keys[0]["alg"] != "ES256" {
		t.Errorf("got keys %v, want an ES256 key", jwks.Keys)
	}
	if resp, _ := http.Get(e.app.URL + "/o/nobody/.well-known/openid-configuration"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown organisation: %d, want 404", resp.StatusCode)
	}
}

func TestCodeFlowWithPKCE(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("spa", "profile", "email", "roles")
	_, verifier, code := e.login(t, conf, gooidc.Nonce("n-1"))
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := e.provider.Verifier(&gooidc.Config{ClientID: "spa"}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified bool     `json:"email_verified"`
		Name          string   `json:"name"`
		Org           string   `json:"org"`
		Roles         []string `json:"roles"`
		AMR           []string `json:"amr"`
		ACR           string   `json:"acr"`
		AuthTime      int64    `json:"auth_time"`
		SID           string   `json:"sid"`
		Nonce         string   `json:"nonce"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "ana@acme.test" || !claims.EmailVerified || claims.Name != "Ana Lima" || claims.Org != "acme" ||
		len(claims.Roles) != 1 || claims.Roles[0] != "owner" || claims.ACR != "pwd" || len(claims.AMR) == 0 ||
		claims.AuthTime == 0 || claims.SID == "" || claims.Nonce != "n-1" {
		t.Errorf("got claims %+v", claims)
	}
	if idt.Subject == "" || strings.Contains(idt.Subject, "1") && len(idt.Subject) < 10 {
		t.Errorf("subject %q, want an opaque one", idt.Subject)
	}
	info, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != idt.Subject || info.Email != "ana@acme.test" {
		t.Errorf("userinfo %+v, %v; want the same member", info, err)
	}
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("code used again: %v, want invalid_grant", err)
	}
	if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("the first access token still works after its code was used again")
	}
}

func TestSecondPortalNeedsNoSignIn(t *testing.T) {
	e := newEnv(t)
	c, _, _ := e.login(t, e.config("spa"))
	verifier := oauth2.GenerateVerifier()
	resp, _ := e.follow(t, c, e.config("web").AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier)))
	if code := e.codeFrom(t, resp, "s2"); code == "" {
		t.Error("no code for the second portal")
	}
}

// TestSignInFormEndsWithAPageToThePortal: the redirects after the sign-in
// form end at a page that moves on to the portal (a browser applies the
// form's form-action 'self' to every redirect after it, so a redirect to
// the portal would be refused); a sign-in already made is a plain redirect.
func TestSignInFormEndsWithAPageToThePortal(t *testing.T) {
	e := newEnv(t)
	c := e.app.Browser(t)
	resp, _ := e.follow(t, c, e.config("spa").AuthCodeURL("s1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	back := e.signIn(t, c, resp.Request.URL.String())
	if !strings.Contains(back, "/authorize/continue?") || !strings.Contains(back, "after=form") {
		t.Fatalf("the sign-in went on to %q, want the authorization's continuation after a form", back)
	}
	resp, body := e.app.Get(t, c, back)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
		t.Fatalf("continuation after the form: %d to %q, want the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("the page's policy lost form-action 'self': %q", csp)
	}
	to, err := url.Parse(toPortal(body))
	if err != nil || !strings.HasPrefix(to.String(), redirectURI+"?") {
		t.Fatalf("the page goes to %q, want the portal:\n%s", toPortal(body), body)
	}
	if q := to.Query(); q.Get("code") == "" || q.Get("state") != "s1" || q.Get("iss") != e.issuer {
		t.Errorf("the page's address lacks the code, state or iss: %s", to)
	}
	if !strings.Contains(body, `href="`+html.EscapeString(to.String())+`"`) || !strings.Contains(body, "Team Board") {
		t.Errorf("the page has no link to the portal by name:\n%s", body)
	}
	// With a session, the authorization request itself answers: straight to the portal.
	resp, _ = e.app.Get(t, c, strings.TrimPrefix(e.config("web").AuthCodeURL("s2", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), e.app.URL))
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), redirectURI+"?") {
		t.Errorf("with a session: %d to %q, want a redirect to the portal", resp.StatusCode, resp.Header.Get("Location"))
	}
}
