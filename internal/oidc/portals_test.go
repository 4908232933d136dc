package oidc_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestMyProfilePortalsListsAndRevokes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	payroll := e.config("web", "offline_access", "email")
	c, verifier, code := e.login(t, payroll)
	pkce := oauth2.S256ChallengeOption(verifier)
	payrollTok, err := payroll.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	partner := e.config("other", "offline_access", "profile")
	action, _ := e.consentPage(t, c, partner.AuthCodeURL("p1", pkce))
	resp := e.decide(t, c, action, "allow")
	partnerTok, err := partner.Exchange(ctx, e.codeFrom(t, resp, "p1"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}

	if _, body := e.app.Get(t, c, "/dashboard"); !strings.Contains(body, `href="/profile/portals"`) {
		t.Error("the Dashboard does not link to My Profile → Portals")
	}
	_, body := e.app.Get(t, c, "/profile/portals")
	body = html.UnescapeString(body)
	for _, want := range []string{"Payroll", "Partner App", "allowed by you", "one of your organisation's own portals",
		"Your name", "Your email address and whether it is verified", "Staying signed in to the portal", "Revoke access"} {
		if !strings.Contains(body, want) {
			t.Errorf("My Profile → Portals lacks %q", want)
		}
	}

	bob := e.app.Browser(t)
	e.app.AddMember(t, "bob@acme.test", nil)
	e.app.SignIn(t, bob, "bob@acme.test")
	if resp, _ := e.app.Post(t, bob, "/profile/portals/revoke", url.Values{"client_id": {"other"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another member revoking ana's portal: %d, want 404", resp.StatusCode)
	}
	if resp, _ := e.app.Post(t, c, "/profile/portals/revoke", url.Values{"client_id": {"nothing"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking a portal never used: %d, want 404", resp.StatusCode)
	}
	if n := e.auditKinds(t)["portal-revoke"]; n != 0 {
		t.Errorf("%d revocations audited before any succeeded", n)
	}
	rotated, err := refresh(ctx, partner, partnerTok.RefreshToken)
	if err != nil {
		t.Fatalf("the partner's token stopped working before it was revoked: %v", err)
	}

	resp, _ = e.app.Post(t, c, "/profile/portals/revoke", url.Values{"client_id": {"other"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile/portals" {
		t.Fatalf("revoke: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := e.app.Get(t, c, "/profile/portals"); strings.Contains(body, "Partner App") || !strings.Contains(body, "revoked") {
		t.Errorf("after revoking: the partner is still listed or no notice\n%s", body)
	}
	if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(partnerTok)); err == nil {
		t.Error("the revoked portal's access token still works")
	}
	if _, err := refresh(ctx, partner, rotated.RefreshToken); err == nil {
		t.Error("the revoked portal's refresh token still works")
	}
	if _, err := refresh(ctx, payroll, payrollTok.RefreshToken); err != nil {
		t.Errorf("another portal's refresh token was revoked too: %v", err)
	}
	e.consentPage(t, c, partner.AuthCodeURL("p2", pkce)) // consent forgotten: asked again
	if n := e.auditKinds(t)["portal-revoke"]; n != 1 {
		t.Errorf("%d revocations audited, want 1", n)
	}
}
