package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"imslogin/internal/oidc"
	"imslogin/internal/server/servertest"
)

// TestOnlyTheCodeFlowIsServed: the implicit and hybrid response types and
// the password grant are refused, for public and confidential portals.
func TestOnlyTheCodeFlowIsServed(t *testing.T) {
	e := newEnv(t)
	c := e.app.Browser(t)
	for _, client := range []string{"spa", "web"} {
		for _, rt := range []string{"token", "id_token", "id_token token", "code id_token", "code token", "code id_token token"} {
			q := baseQuery()
			q.Set("client_id", client)
			q.Set("response_type", rt)
			q.Set("nonce", "n")
			resp := e.authorizeRaw(t, c, q)
			got := errorOf(t, resp)
			if u, err := url.Parse(resp.Header.Get("Location")); err == nil && u.Fragment != "" {
				got, _ = url.ParseQuery(u.Fragment) // the implicit flow's errors come in the fragment
			}
			if got.Get("error") == "" || got.Get("code") != "" || got.Get("access_token") != "" || got.Get("id_token") != "" {
				t.Errorf("%s, response_type=%s: %v, want an error", client, rt, got)
			}
		}
	}
	status, got := postForm(t, e.issuer+"/oauth/token", "web", "web-secret",
		url.Values{"grant_type": {"password"}, "username": {"ana@acme.test"}, "password": {servertest.Password}})
	if status != http.StatusBadRequest || got["access_token"] != nil || got["error"] != "unsupported_grant_type" {
		t.Errorf("password grant: %d %v, want unsupported_grant_type", status, got)
	}
}

// TestCodesAndRefreshTokensExpire: a code is refused a minute after it was
// issued; a refresh token family ends at its absolute lifetime however
// often it was rotated.
func TestCodesAndRefreshTokensExpire(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("web", "offline_access")
	_, verifier, code := e.login(t, conf)
	e.app.Clock.Advance(oidc.CodeLifetime + time.Second)
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("a code after %v: %v, want invalid_grant", oidc.CodeLifetime, err)
	}

	_, verifier, code = e.login(t, conf)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %v", err)
	}
	for range 2 {
		e.app.Clock.Advance(oidc.DefaultRefreshTokenLifetime / 3)
		if tok, err = refresh(ctx, conf, tok.RefreshToken); err != nil {
			t.Fatalf("refresh within the lifetime: %v", err)
		}
	}
	e.app.Clock.Advance(oidc.DefaultRefreshTokenLifetime/3 + time.Minute)
	if _, err := refresh(ctx, conf, tok.RefreshToken); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("a rotated refresh token past the family's lifetime: %v, want invalid_grant", err)
	}
}

// TestUserinfoAnswersWithinScopesAndOrganisation: userinfo gives only the
// claims of the scopes granted, and an organisation's access token is
// refused at another organisation's userinfo.
func TestUserinfoAnswersWithinScopesAndOrganisation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	conf := e.config("spa")
	_, verifier, code := e.login(t, conf)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject == "" {
		t.Fatalf("userinfo: %+v, %v", info, err)
	}
	var claims map[string]any
	info.Claims(&claims)
	for _, c := range []string{"email", "email_verified", "name", "roles"} {
		if _, ok := claims[c]; ok {
			t.Errorf("userinfo for scope openid only gives %s: %v", c, claims)
		}
	}
	other := servertest.NewOrganisation(t, e.app.DB, "Globex", nil)
	if other.URLName == "" {
		t.Fatal("the second organisation has no URL name")
	}
	req, _ := http.NewRequest(http.MethodGet, e.app.URL+"/o/"+other.URLName+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Errorf("Acme's access token at Globex's userinfo: %d, want a refusal", resp.StatusCode)
	}
}

// TestCrossOriginReadsCarryNoCredentials: the provider's endpoints may be
// read from any origin (browser apps call them), but never with the
// browser's cookies: no origin is echoed with credentials allowed.
func TestCrossOriginReadsCarryNoCredentials(t *testing.T) {
	e := newEnv(t)
	for _, r := range []struct{ method, path string }{{"GET", "/.well-known/openid-configuration"}, {"GET", "/keys"},
		{"OPTIONS", "/oauth/token"}, {"OPTIONS", "/userinfo"}, {"GET", "/authorize"}, {"GET", "/end_session"}} {
		req, _ := http.NewRequest(r.method, e.issuer+r.path, nil)
		req.Header.Set("Origin", "https://evil.example")
		if r.method == "OPTIONS" {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization")
		}
		resp, err := e.app.Browser(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		allow, creds := resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Allow-Credentials")
		if strings.Contains(allow, "evil.example") || creds != "" {
			t.Errorf("%s %s: Allow-Origin %q, Allow-Credentials %q; want no echoed origin and no credentials", r.method, r.path, allow, creds)
		}
	}
}
