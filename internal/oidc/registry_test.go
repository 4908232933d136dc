package oidc_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	registration "imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestRegisteredPortalSignsIn runs the code flow for a portal registered
// as an administrator would (the portal registry, its hashed secret and
// access rule), with no stand-in registry: the provider and the registry
// agree on client IDs, secrets, the issuer and who may use the portal.
func TestRegisteredPortalSignsIn(t *testing.T) {
	ctx := context.Background()
	app := servertest.New(t, servertest.Options{})
	svc := app.Server.Portals
	by := registration.By{OrgID: app.Org.ID, Actor: "command line"}
	_, creds, err := svc.Create(ctx, by, registration.Input{Name: "Payroll", RedirectURIs: []string{redirectURI},
		Confidential: true, FirstParty: true, Access: store.PortalAccessAll})
	if err != nil {
		t.Fatal(err)
	}
	if creds.Issuer != app.URL+"/o/acme" {
		t.Errorf("issuer %q, want %s/o/acme", creds.Issuer, app.URL)
	}
	provider, err := gooidc.NewProvider(ctx, creds.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{app: app, issuer: creds.Issuer, provider: provider, reg: &registry{secrets: map[string]string{}}}
	conf := &oauth2.Config{ClientID: creds.ClientID, ClientSecret: creds.Secret, Endpoint: provider.Endpoint(),
		RedirectURL: redirectURI, Scopes: []string{gooidc.ScopeOpenID, "email"}}
	// A wrong secret, then a wrong verifier, refused without spending the
	// code: the right exchange afterwards still gets the tokens.
	wrong := *conf
	wrong.ClientSecret = creds.Secret + "x"
	_, verifier, code := e.login(t, conf)
	if _, err := wrong.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("a wrong client secret exchanged the code")
	}
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Fatal("a wrong PKCE verifier exchanged the code")
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange with the registered secret after failed ones: %v", err)
	}
	if n := e.auditKinds(t)["token-reuse"]; n != 0 {
		t.Errorf("%d reuses audited: the failed exchanges spent the code", n)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&gooidc.Config{ClientID: creds.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email != "ana@acme.test" {
		t.Errorf("claims %+v, %v", claims, err)
	}
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("the code exchanged again: %v, want invalid_grant", err)
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("the first exchange's token still works after its code came again")
	}
	e.concurrentExchanges(t, conf)

	// A portal only Bo may use: Ana gets Access Denied.
	app.AddMember(t, "bo@acme.test", nil)
	_, owners, err := svc.Create(ctx, by, registration.Input{Name: "Board Room", RedirectURIs: []string{redirectURI},
		FirstParty: true, Access: store.PortalAccessMembers, MemberEmails: []string{"bo@acme.test"}})
	if err != nil {
		t.Fatal(err)
	}
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	authURL := (&oauth2.Config{ClientID: owners.ClientID, Endpoint: provider.Endpoint(), RedirectURL: redirectURI,
		Scopes: []string{gooidc.ScopeOpenID}}).AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	resp, body := e.follow(t, c, authURL)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Board Room") || !strings.Contains(body, "ana@acme.test") {
		t.Errorf("a member the portal does not list: %d, want 403 Access Denied naming the portal and the account\n%s", resp.StatusCode, body)
	}
}

// concurrentExchanges exchanges one code from 20 requests at once: exactly
// one gets tokens.
func (e *env) concurrentExchanges(t *testing.T, conf *oauth2.Config) {
	t.Helper()
	_, verifier, code := e.login(t, conf)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); err == nil {
				wins.Add(1)
			} else if !strings.Contains(err.Error(), "invalid_grant") {
				t.Errorf("a concurrent exchange: %v, want invalid_grant", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of 20 concurrent exchanges of one code succeeded, want 1", wins.Load())
	}
}
