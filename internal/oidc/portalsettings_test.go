package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"imslogin/internal/oidc"
	registration "imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// registered is a portal registered as an administrator would, and the
// provider that serves it.
type registered struct {
	*env
	svc   *registration.Service
	by    registration.By
	id    int64
	creds registration.Credentials
}

func register(t *testing.T, in registration.Input) *registered {
	t.Helper()
	ctx := context.Background()
	app := servertest.New(t, servertest.Options{})
	svc := app.Server.Portals
	by := registration.By{OrgID: app.Org.ID, Actor: "command line"}
	in.Name, in.RedirectURIs, in.FirstParty, in.Access = "Payroll", []string{redirectURI}, true, store.PortalAccessAll
	p, creds, err := svc.Create(ctx, by, in)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := gooidc.NewProvider(ctx, creds.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{app: app, issuer: creds.Issuer, provider: provider, reg: &registry{secrets: map[string]string{}}}
	return &registered{env: e, svc: svc, by: by, id: p.ID, creds: creds}
}

// change applies edit to the stored portal.
func (r *registered) change(t *testing.T, edit func(*registration.Input)) {
	t.Helper()
	p, err := r.svc.Get(context.Background(), r.by.OrgID, r.id)
	if err != nil {
		t.Fatal(err)
	}
	in := registration.InputOf(p)
	edit(&in)
	if _, _, err := r.svc.Update(context.Background(), r.by, r.id, in); err != nil {
		t.Fatal(err)
	}
}

func (r *registered) config(scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: r.creds.ClientID, ClientSecret: r.creds.Secret, Endpoint: r.provider.Endpoint(),
		RedirectURL: redirectURI, Scopes: append([]string{gooidc.ScopeOpenID}, scopes...)}
}

// query is an authorization request of the portal without PKCE.
func (r *registered) query(scope string) url.Values {
	return url.Values{"client_id": {r.creds.ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {scope}, "state": {"st-42"}}
}

// TestConfidentialPortalRequiresPKCE: a confidential portal registered
// now must send a PKCE code challenge (refused at the portal, with its
// state, otherwise); with Require PKCE off it signs in with its secret
// alone. A public portal requires PKCE even when told not to.
func TestConfidentialPortalRequiresPKCE(t *testing.T) {
	ctx := context.Background()
	r := register(t, registration.Input{Confidential: true})
	c := r.app.Browser(t)
	got := errorOf(t, r.authorizeRaw(t, c, r.query("openid")))
	if got.Get("error") != "invalid_request" || !strings.Contains(got.Get("error_description"), "PKCE") || got.Get("state") != "st-42" {
		t.Errorf("no code_challenge with Require PKCE on: %v, want invalid_request about PKCE with the state", got)
	}
	off := false
	r.change(t, func(in *registration.Input) { in.RequirePKCE = &off })
	conf := r.config()
	resp, _ := r.follow(t, c, conf.AuthCodeURL("st-1"))
	resp, _ = r.follow(t, c, r.signIn(t, c, resp.Request.URL.String()))
	if _, err := conf.Exchange(ctx, r.codeFrom(t, resp, "st-1")); err != nil {
		t.Errorf("Require PKCE off, no verifier: %v, want tokens", err)
	}

	public := register(t, registration.Input{RequirePKCE: &off})
	q := public.query("openid")
	if got := errorOf(t, public.authorizeRaw(t, public.app.Browser(t), q)); got.Get("error") != "invalid_request" {
		t.Errorf("public portal told not to require PKCE, no code_challenge: %v, want invalid_request", got)
	}
}

// TestPortalScopesAreEnforced: a portal asking a scope it is not allowed
// is refused with invalid_scope (at the portal, with its state), in the
// code flow and in client credentials; scopes the provider does not know
// are ignored. Narrowing a portal's scopes reaches its refresh tokens.
func TestPortalScopesAreEnforced(t *testing.T) {
	ctx := context.Background()
	r := register(t, registration.Input{Confidential: true, AllowedScopes: []string{"openid", "email", "profile", "offline_access"}})
	c := r.app.Browser(t)
	q := r.query("openid roles")
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))
	q.Set("code_challenge_method", "S256")
	got := errorOf(t, r.authorizeRaw(t, c, q))
	if got.Get("error") != "invalid_scope" || !strings.Contains(got.Get("error_description"), `"roles"`) || got.Get("state") != "st-42" {
		t.Errorf("a scope not allowed: %v, want invalid_scope naming it, with the state", got)
	}
	q.Set("scope", "openid email unknown-scope")
	if resp := r.authorizeRaw(t, c, q); resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther ||
		strings.HasPrefix(resp.Header.Get("Location"), redirectURI) {
		t.Errorf("allowed scopes and an unknown one: %d to %q, want the sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}

	cc := clientcredentials.Config{ClientID: r.creds.ClientID, ClientSecret: r.creds.Secret, TokenURL: r.provider.Endpoint().TokenURL}
	cc.Scopes = []string{"roles"}
	if _, err := cc.Token(ctx); err == nil || !strings.Contains(err.Error(), "invalid_scope") {
		t.Errorf("client credentials with a scope not allowed: %v, want invalid_scope", err)
	}
	cc.Scopes = []string{"email"}
	if _, err := cc.Token(ctx); err != nil {
		t.Errorf("client credentials with an allowed scope: %v", err)
	}

	// The administrator takes profile away: a refresh gives tokens without
	// it. Then offline_access: the token, which outlives sessions, ends.
	conf := r.config("email", "profile", "offline_access")
	_, verifier, code := r.login(t, conf)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Name string `json:"name"`
	}
	if info, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil || info.Claims(&claims) != nil || claims.Name == "" {
		t.Fatalf("userinfo with profile: %+v (%v), want a name", claims, err)
	}
	r.change(t, func(in *registration.Input) { in.AllowedScopes = []string{"openid", "email", "offline_access"} })
	narrowed, err := refresh(ctx, conf, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh after the scopes narrowed: %v", err)
	}
	info, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(narrowed))
	claims.Name = ""
	if err != nil || info.Email != "ana@acme.test" || info.Claims(&claims) != nil || claims.Name != "" {
		t.Errorf("userinfo after the narrowing: %+v (%v); want the email, no name", info, err)
	}
	r.change(t, func(in *registration.Input) { in.AllowedScopes = []string{"openid", "email"} })
	if _, err := refresh(ctx, conf, narrowed.RefreshToken); err == nil {
		t.Error("an offline refresh token still works after its portal lost offline_access")
	}
}

// TestPortalScopesAreTheProvidersScopes: the scopes an administrator may
// allow a portal are exactly those the provider serves.
func TestPortalScopesAreTheProvidersScopes(t *testing.T) {
	if strings.Join(registration.Scopes, " ") != strings.Join(oidc.Scopes, " ") {
		t.Errorf("portal scopes %v, provider scopes %v", registration.Scopes, oidc.Scopes)
	}
}

// TestPortalChangesReachTheProvider: a client secret ended through the
// server (Admin Settings, the API) stops working at once; ended from
// elsewhere (the command line, another node) within the second the
// provider keeps a portal it read.
func TestPortalChangesReachTheProvider(t *testing.T) {
	ctx := context.Background()
	r := register(t, registration.Input{Confidential: true})
	works := func(secret string) bool {
		cc := clientcredentials.Config{ClientID: r.creds.ClientID, ClientSecret: secret, TokenURL: r.provider.Endpoint().TokenURL}
		_, err := cc.Token(ctx)
		return err == nil
	}
	if !works(r.creds.Secret) {
		t.Fatal("the new portal's secret does not work")
	}
	creds, _, err := r.svc.RotateSecret(ctx, r.by, r.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if works(r.creds.Secret) || !works(creds.Secret) {
		t.Errorf("rotated through the server: the old secret works %v, the new %v; want only the new, at once",
			works(r.creds.Secret), works(creds.Secret))
	}

	elsewhere := &registration.Service{Store: r.app.DB, PublicURL: r.app.URL, Now: r.app.Clock.Now}
	if _, _, err := elsewhere.RotateSecret(ctx, r.by, r.id, 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for works(creds.Secret) {
		if time.Since(start) > 3*time.Second {
			t.Fatal("a secret ended from elsewhere still works after 3 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if waited := time.Since(start); waited > 1500*time.Millisecond {
		t.Errorf("a secret ended from elsewhere stopped working after %v, want within about a second", waited)
	}
}
