package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestConsentAndPortalsOnPhone: a member allows a partner portal on a
// 375 px screen, then finds it in My Profile → Portals and revokes it.
func TestConsentAndPortalsOnPhone(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	p := store.Portal{OrgID: app.Org.ID, ClientID: "partner", Name: "Partner Wiki", Access: store.PortalAccessAll,
		RedirectURIs: []string{"http://127.0.0.1:9/callback"}, SigningAlgorithm: "ES256", RequirePKCE: true,
		AllowedScopes: portal.Scopes, CreatedAt: app.Clock.Now(), UpdatedAt: app.Clock.Now()}
	if err := app.DB.CreatePortal(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	q := url.Values{"client_id": {"partner"}, "redirect_uri": {"http://127.0.0.1:9/callback"}, "response_type": {"code"},
		"scope": {"openid email profile offline_access"}, "state": {"s"}, "code_challenge_method": {"S256"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}}
	run(t, ctx, chromedp.Navigate(app.URL+"/o/"+app.Org.URLName+"/authorize?"+q.Encode()),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)))
	if got := text(t, ctx, "main"); !strings.Contains(got, "Partner Wiki") || !strings.Contains(got, "Your email address") {
		t.Errorf("consent page: %q", got)
	}
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the consent page is %d px wide on a 375 px screen", w)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "consent-375px.png", shot)
	// Allow, as the form posts it: the answer is the page that goes on to
	// the portal (a form's last hop, see docs/OIDC.md); the portal is not running here.
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const f = document.querySelector("form.consent-actions");
		const r = await fetch(f.action, {method: "POST", body: new URLSearchParams({decision: "allow"}), redirect: "manual"});
		return r.status + " " + await r.text();
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(page, "200 ") || !strings.Contains(page, "http://127.0.0.1:9/callback?code=") {
		t.Fatalf("allow: %v; want a page going on to the portal with a code\n%s", err, page)
	}
	run(t, ctx, chromedp.Navigate(app.URL+"/profile/portals"), chromedp.WaitVisible(chromedp.CSS(".portals-used")))
	if got := text(t, ctx, ".portals-used"); !strings.Contains(got, "Partner Wiki") || !strings.Contains(got, "Your name") {
		t.Errorf("My Profile → Portals: %q", got)
	}
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("My Profile → Portals is %d px wide on a 375 px screen", w)
	}
	shot, _ = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "profile-portals-375px.png", shot)
	run(t, ctx, chromedp.Click(chromedp.CSS(".portals-used button")), chromedp.WaitVisible(chromedp.CSS(".notice-success")))
	if got := text(t, ctx, "main"); strings.Contains(got, "Partner Wiki") {
		t.Errorf("after revoking: %q", got)
	}
}
