package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/pquerna/otp/totp"
)

var acrMFA = oauth2.SetAuthURLParam("acr_values", "mfa")

// setUpApp turns on an authenticator app for the signed-in member in My
// Profile → Security and returns its secret.
func (e *env) setUpApp(t *testing.T, c *http.Client) string {
	t.Helper()
	_, body := e.app.Post(t, c, "/profile/security/totp", nil)
	secret := regexp.MustCompile(`class="secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if secret == nil {
		t.Fatalf("no authenticator secret shown\n%s", body)
	}
	code, _ := totp.GenerateCode(secret[1], e.app.Clock.Now())
	if resp, body := e.app.Post(t, c, "/profile/security/totp/confirm", url.Values{"code": {code}, "name": {"Phone"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm the app: %d\n%s", resp.StatusCode, body)
	}
	return secret[1]
}

func (e *env) sessionCookie(t *testing.T, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(e.app.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "ims_session" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

// signedInWithApp is a browser signed in to conf's portal with a password,
// its PKCE verifier, the tokens of that sign-in, and the secret of the
// authenticator app it then turned on.
func (e *env) signedInWithApp(t *testing.T, conf *oauth2.Config) (c *http.Client, verifier string, tokens *oauth2.Token, secret string) {
	t.Helper()
	c, verifier, code := e.login(t, conf)
	tokens, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return c, verifier, tokens, e.setUpApp(t, c)
}

// passApp answers the second-factor step with the app's code of the next
// time step.
func (e *env) passApp(t *testing.T, c *http.Client, secret string) (*http.Response, string) {
	t.Helper()
	e.app.Clock.Advance(30 * time.Second)
	code, _ := totp.GenerateCode(secret, e.app.Clock.Now())
	return e.app.Post(t, c, "/login/mfa", url.Values{"method": {"totp"}, "code": {code}})
}

// idClaims verifies the ID token of tok for the portal spa and reads its claims into v.
func (e *env) idClaims(t *testing.T, tok *oauth2.Token, v any) {
	t.Helper()
	idt, err := e.provider.Verifier(&gooidc.Config{ClientID: "spa"}).Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	idt.Claims(v)
}

func TestStepUpWithoutSecondFactor(t *testing.T) {
	e := newEnv(t)
	conf := e.config("spa")
	c, verifier, _ := e.login(t, conf)
	pkce := oauth2.S256ChallengeOption(verifier)
	resp, _ := e.follow(t, c, conf.AuthCodeURL("s1", pkce, acrMFA))
	if got := errorOf(t, resp); got.Get("error") != "unmet_authentication_requirements" || got.Get("state") != "s1" || got.Get("iss") != e.issuer {
		t.Errorf("acr_values=mfa without a second factor: %v, want unmet_authentication_requirements with state and iss", got)
	}
	resp, _ = e.follow(t, c, conf.AuthCodeURL("s2", pkce, oauth2.SetAuthURLParam("acr_values", "mfa pwd")))
	if code := e.codeFrom(t, resp, "s2"); code == "" {
		t.Error("acr_values accepting pwd gave no code")
	}
}

// TestStepUpPassesSecondFactorAndRenewsSession: a portal asking for
// multi-factor puts a member signed in with a password through their
// second factor; the session gets a new token and the methods, and stays
// the same session: what it signed in to before stays signed in.
func TestStepUpPassesSecondFactorAndRenewsSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("spa")
	c, verifier, earlier, secret := e.signedInWithApp(t, conf)
	pkce := oauth2.S256ChallengeOption(verifier)

	resp, _ := e.follow(t, c, conf.AuthCodeURL("s0", pkce, acrMFA, oauth2.SetAuthURLParam("prompt", "none")))
	if got := errorOf(t, resp); got.Get("error") != "interaction_required" {
		t.Errorf("prompt=none needing a second factor: %v, want interaction_required", got)
	}
	before := e.sessionCookie(t, c)
	resp, body := e.follow(t, c, conf.AuthCodeURL("s1", pkce, acrMFA))
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/login/mfa" || !strings.Contains(body, "Authenticator") {
		t.Fatalf("acr_values=mfa after a password alone: ended at %s (%d), want the second factor\n%s", resp.Request.URL, resp.StatusCode, body)
	}
	resp, body = e.passApp(t, c, secret)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/o/acme/authorize/continue") {
		t.Fatalf("second factor: %d to %q, want back to the authorization\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if after := e.sessionCookie(t, c); after == before {
		t.Error("the session was not renewed after the second factor")
	}
	if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(earlier)); err != nil {
		t.Errorf("the access token issued before the step-up: %v, want it still working (the same session)", err)
	}
	resp, _ = e.follow(t, c, resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, e.codeFrom(t, resp, "s1"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		ACR string   `json:"acr"`
		AMR []string `json:"amr"`
	}
	e.idClaims(t, tok, &claims)
	if claims.ACR != "mfa" || !slices.Contains(claims.AMR, "mfa") || !slices.Contains(claims.AMR, "otp") || !slices.Contains(claims.AMR, "pwd") {
		t.Errorf("after step-up: acr %q amr %v, want mfa with pwd, otp, mfa", claims.ACR, claims.AMR)
	}
	resp, _ = e.follow(t, c, conf.AuthCodeURL("s2", pkce, acrMFA))
	if code := e.codeFrom(t, resp, "s2"); code == "" {
		t.Error("a session with a second factor was asked for it again")
	}
}

// TestStepUpAfterSigningOutSignsInAgain: a second factor passed after the
// session it was to step up has ended starts no session.
func TestStepUpAfterSigningOutSignsInAgain(t *testing.T) {
	e := newEnv(t)
	conf := e.config("spa")
	c, verifier, _, secret := e.signedInWithApp(t, conf)
	resp, _ := e.follow(t, c, conf.AuthCodeURL("s1", oauth2.S256ChallengeOption(verifier), acrMFA))
	if resp.Request.URL.Path != "/login/mfa" {
		t.Fatalf("acr_values=mfa: ended at %s, want the second factor", resp.Request.URL)
	}
	before := e.sessionCookie(t, c)
	u, _ := url.Parse(e.app.URL)
	jar := c.Jar.Cookies(u)
	e.app.Post(t, c, "/logout", url.Values{})
	for _, ck := range jar { // the flow's cookie survives; the ended session's too, as a copy would
		if ck.Name == "ims_session" || ck.Name == "ims_signin" {
			c.Jar.SetCookies(u, []*http.Cookie{ck})
		}
	}
	resp, body := e.passApp(t, c, secret)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Sign in again") {
		t.Errorf("second factor after signing out: %d, want 409 and the sign-in page\n%s", resp.StatusCode, body)
	}
	if e.sessionCookie(t, c) != before {
		t.Error("a session was started from a step-up whose session had ended")
	}
	if resp, _ := e.app.Get(t, c, "/whoami"); resp.StatusCode == http.StatusOK {
		t.Error("signed in after a step-up whose session had ended")
	}
}

// TestReauthenticationAsksForTheSecondFactor: a member with a second
// factor confirms both when re-authenticating (here for prompt=login): the
// password alone leads to the second factor, not back; passing it renews
// the same session, whose earlier tokens keep working.
func TestReauthenticationAsksForTheSecondFactor(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("spa")
	c, verifier, earlier, secret := e.signedInWithApp(t, conf)
	e.app.Clock.Advance(time.Minute)
	resp, _ := e.follow(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")))
	if resp.Request.URL.Path != "/reauthenticate" {
		t.Fatalf("prompt=login: ended at %s, want the re-authentication page", resp.Request.URL)
	}
	resp, body := e.app.Post(t, c, "/reauthenticate", url.Values{"password": {"correct horse battery staple"},
		"return_to": {resp.Request.URL.Query().Get("return_to")}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/mfa" {
		t.Fatalf("the password of a member with an authenticator app: %d to %q, want the second factor\n%s",
			resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, _ := e.follow(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login"))); resp.Request.URL.Path != "/reauthenticate" {
		t.Errorf("prompt=login after the password alone: ended at %s, want asked again", resp.Request.URL)
	}
	resp, body = e.passApp(t, c, secret)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/o/acme/authorize/continue") {
		t.Fatalf("second factor: %d to %q, want back to the authorization\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, _ = e.follow(t, c, resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, e.codeFrom(t, resp, "s"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	e.idClaims(t, tok, &claims)
	if !slices.Contains(claims.AMR, "otp") || claims.AuthTime != e.app.Clock.Now().Unix() {
		t.Errorf("after re-authenticating: amr %v, auth_time %d; want otp and %d", claims.AMR, claims.AuthTime, e.app.Clock.Now().Unix())
	}
	if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(earlier)); err != nil {
		t.Errorf("the access token issued before: %v, want it still working (the same session)", err)
	}
}
