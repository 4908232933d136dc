package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// refresh exchanges a refresh token directly.
func refresh(ctx context.Context, conf *oauth2.Config, rt string) (*oauth2.Token, error) {
	return conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Hour)}).Token()
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("web", "offline_access", "email")
	_, verifier, code := e.login(t, conf)
	first, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil || first.RefreshToken == "" {
		t.Fatalf("exchange: %v (refresh token %q)", err, first.RefreshToken)
	}
	second, err := refresh(ctx, conf, first.RefreshToken)
	if err != nil || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh: %v; want a new refresh token", err)
	}
	if raw, _ := second.Extra("id_token").(string); raw != "" {
		if _, err := e.provider.Verifier(&gooidc.Config{ClientID: "web"}).Verify(ctx, raw); err != nil {
			t.Errorf("refreshed ID token: %v", err)
		}
	}
	other := e.config("other")
	if _, err := refresh(ctx, other, second.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("another portal's refresh token: %v, want invalid_grant", err)
	}
	if _, err := refresh(ctx, conf, first.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("rotated token used again: %v, want invalid_grant", err)
	}
	if _, err := refresh(ctx, conf, second.RefreshToken); err == nil {
		t.Error("the family's newest refresh token still works after reuse was detected")
	}
	if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(second)); err == nil {
		t.Error("the family's access token still works after reuse was detected")
	}
}

func postForm(t *testing.T, endpoint, user, pass string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestRevocationIntrospectionAndClientCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("web", "offline_access", "email")
	_, verifier, code := e.login(t, conf)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	introspect := e.issuer + "/oauth/introspect"
	status, got := postForm(t, introspect, "web", "web-secret", url.Values{"token": {tok.AccessToken}})
	if status != 200 || got["active"] != true || got["client_id"] != "web" || got["email"] != "ana@acme.test" {
		t.Errorf("introspection: %d %v, want an active token of web", status, got)
	}
	if status, _ := postForm(t, introspect, "web", "wrong", url.Values{"token": {tok.AccessToken}}); status == 200 {
		t.Error("introspection with a wrong secret answered")
	}
	status, _ = postForm(t, e.issuer+"/revoke", "web", "web-secret", url.Values{"token": {tok.RefreshToken}})
	if status != 200 {
		t.Errorf("revocation: %d, want 200", status)
	}
	if _, err := refresh(ctx, conf, tok.RefreshToken); err == nil {
		t.Error("a revoked refresh token still works")
	}
	if _, got := postForm(t, introspect, "web", "web-secret", url.Values{"token": {tok.AccessToken}}); got["active"] != false {
		t.Errorf("access token of a revoked family: %v, want inactive", got)
	}
	cc := clientcredentials.Config{ClientID: "web", ClientSecret: "web-secret", TokenURL: e.provider.Endpoint().TokenURL}
	own, err := cc.Token(ctx)
	if err != nil || own.AccessToken == "" {
		t.Fatalf("client credentials: %v", err)
	}
	if _, got := postForm(t, introspect, "web", "web-secret", url.Values{"token": {own.AccessToken}}); got["active"] != true || got["sub"] != "web" {
		t.Errorf("portal's own token: %v, want active for web", got)
	}
	public := clientcredentials.Config{ClientID: "spa", TokenURL: e.provider.Endpoint().TokenURL}
	if _, err := public.Token(ctx); err == nil {
		t.Error("a public portal got a client credentials token")
	}
}

// authorizeRaw sends an authorization request and returns the first answer.
func (e *env) authorizeRaw(t *testing.T, c *http.Client, q url.Values) *http.Response {
	t.Helper()
	resp, err := c.Get(e.issuer + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func baseQuery() url.Values {
	return url.Values{"client_id": {"spa"}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"st"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"}}
}

func errorOf(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, redirectURI) {
		t.Fatalf("got %d to %q, want an error redirect to the portal", resp.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

func TestAuthorizationNegativeCases(t *testing.T) {
	e := newEnv(t)
	c := e.app.Browser(t)
	q := baseQuery()
	q.Del("response_type")
	if got := errorOf(t, e.authorizeRaw(t, c, q)); got.Get("error") != "invalid_request" {
		t.Errorf("missing response_type: %v, want invalid_request", got)
	}
	q = baseQuery()
	q.Set("redirect_uri", "http://127.0.0.1:9/elsewhere")
	if resp := e.authorizeRaw(t, c, q); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("unregistered redirect_uri: %d to %q, want an error page", resp.StatusCode, resp.Header.Get("Location"))
	}
	q = baseQuery()
	q.Del("code_challenge")
	q.Del("code_challenge_method")
	if got := errorOf(t, e.authorizeRaw(t, c, q)); got.Get("error") != "invalid_request" {
		t.Errorf("public portal without PKCE: %v, want invalid_request", got)
	}
	q = baseQuery()
	q.Set("code_challenge_method", "plain")
	if got := errorOf(t, e.authorizeRaw(t, c, q)); got.Get("error") != "invalid_request" {
		t.Errorf("plain PKCE: %v, want invalid_request", got)
	}
	q = baseQuery()
	q.Set("request", "eyJhbGciOiJub25lIn0.e30.")
	if got := errorOf(t, e.authorizeRaw(t, c, q)); got.Get("error") != "request_not_supported" {
		t.Errorf("request parameter: %v, want request_not_supported", got)
	}
	q = baseQuery()
	q.Set("request_uri", "https://portal.test/req")
	if got := errorOf(t, e.authorizeRaw(t, c, q)); got.Get("error") != "request_uri_not_supported" {
		t.Errorf("request_uri parameter: %v, want request_uri_not_supported", got)
	}
	for name, value := range map[string]string{"state": strings.Repeat("s", 4097), "nonce": strings.Repeat("n", 1025),
		"code_challenge": strings.Repeat("c", 129)} {
		q = baseQuery()
		q.Set(name, value)
		if got := errorOf(t, e.authorizeRaw(t, c, q)); got.Get("error") != "invalid_request" {
			t.Errorf("a %d-byte %s: %v, want invalid_request (nothing that large is kept)", len(value), name, got)
		}
	}
	long := strings.Repeat("s", 2000)
	q = baseQuery()
	q.Set("prompt", "none")
	q.Set("state", long)
	q.Set("unknown_parameter", "ignored")
	resp, _ := e.follow(t, c, e.issuer+"/authorize?"+q.Encode())
	got := errorOf(t, resp)
	if got.Get("error") != "login_required" || got.Get("state") != long || got.Get("iss") != e.issuer {
		t.Errorf("prompt=none without a session: error %q, state intact %v, iss %q", got.Get("error"), got.Get("state") == long, got.Get("iss"))
	}
}

func TestAccessDenied(t *testing.T) {
	e := newEnv(t)
	e.reg.denied["ana@acme.test"] = true
	c := e.app.Browser(t)
	verifier := oauth2.GenerateVerifier()
	resp, _ := e.follow(t, c, e.config("spa").AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	back := e.signIn(t, c, resp.Request.URL.String())
	resp, body := e.follow(t, c, back)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Access Denied") || !strings.Contains(body, "ana@acme.test") ||
		!strings.Contains(body, "Acme") || !strings.Contains(body, "Team Board") || !strings.Contains(body, "different account") {
		t.Errorf("member not allowed: %d\n%s", resp.StatusCode, body)
	}
}

func TestPromptLoginAsksForPasswordAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("spa")
	c, verifier, code := e.login(t, conf)
	first, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	e.app.Clock.Advance(time.Minute)
	resp, _ := e.follow(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "login")))
	if resp.Request.URL.Path != "/reauthenticate" {
		t.Fatalf("prompt=login with a session: ended at %s (%d), want the re-authentication page", resp.Request.URL, resp.StatusCode)
	}
	resp, body := e.app.Post(t, c, "/reauthenticate", url.Values{"password": {"correct horse battery staple"},
		"return_to": {resp.Request.URL.Query().Get("return_to")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("re-authenticate: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = e.follow(t, c, resp.Header.Get("Location"))
	second, err := conf.Exchange(ctx, e.codeFrom(t, resp, "s"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	authTime := func(tok *oauth2.Token) int64 {
		idt, err := e.provider.Verifier(&gooidc.Config{ClientID: "spa"}).Verify(ctx, tok.Extra("id_token").(string))
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			AuthTime int64 `json:"auth_time"`
		}
		idt.Claims(&c)
		return c.AuthTime
	}
	if a, b := authTime(first), authTime(second); b <= a {
		t.Errorf("auth_time %d after prompt=login, want later than %d", b, a)
	}
	resp, _ = e.follow(t, c, e.config("spa").AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	if code := e.codeFrom(t, resp, "s"); code == "" {
		t.Error("prompt=none with a session gave no code")
	}
}

func TestEndSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("spa")
	c, verifier, code := e.login(t, conf)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	hint := tok.Extra("id_token").(string)
	endSession := func(q url.Values) *http.Response {
		resp, err := c.Get(e.issuer + "/end_session?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	bye := "http://127.0.0.1:9/bye"
	if resp := endSession(url.Values{"client_id": {"spa"}, "post_logout_redirect_uri": {bye}}); strings.HasPrefix(resp.Header.Get("Location"), bye) {
		t.Error("without id_token_hint the browser went to the portal")
	}
	if resp := endSession(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {bye + "/altered"}}); strings.HasPrefix(resp.Header.Get("Location"), "http://127.0.0.1:9") {
		t.Error("an unregistered post_logout_redirect_uri was followed")
	}
	if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatalf("the session ended without a valid request: %v", err)
	}
	resp := endSession(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {bye}, "state": {"x"}})
	if resp.Header.Get("Location") != bye+"?state=x" {
		t.Errorf("logout went to %q, want %q", resp.Header.Get("Location"), bye+"?state=x")
	}
	if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("the access token outlived the session it was issued in")
	}
	if resp, _ := e.app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("dashboard after logout: %d, want a redirect to sign in", resp.StatusCode)
	}
}

// TestRefreshGracePeriod: a portal with a grace period may use a rotated
// refresh token again for that long (clients that race get a new pair);
// after it, reuse revokes the family as for any portal.
func TestRefreshGracePeriod(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	web := e.reg.portals["web"]
	web.RefreshGrace = 10 * time.Second
	e.reg.portals["web"] = web
	conf := e.config("web", "offline_access", "email")
	_, verifier, code := e.login(t, conf)
	first, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	second, err := refresh(ctx, conf, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	racer, err := refresh(ctx, conf, first.RefreshToken)
	if err != nil || racer.RefreshToken == "" || racer.RefreshToken == second.RefreshToken {
		t.Fatalf("the rotated token again within the grace period: %v; want a new pair", err)
	}
	if _, err := refresh(ctx, conf, second.RefreshToken); err != nil {
		t.Errorf("the first rotation's token after a use within grace: %v, want it to work", err)
	}
	e.app.Clock.Advance(11 * time.Second)
	if _, err := refresh(ctx, conf, first.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("the rotated token after the grace period: %v, want invalid_grant", err)
	}
	if _, err := refresh(ctx, conf, racer.RefreshToken); err == nil {
		t.Error("the family still works after reuse past the grace period")
	}
}
