package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"imslogin/internal/server/servertest"
)

// TestRegisterPortalOnPhone: an Owner registers a portal on a 375 px
// screen, leaving PKCE required and taking two scopes away, sees its
// secret once, and finds it on the Dashboard.
func TestRegisterPortalOnPhone(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx,
		chromedp.Navigate(app.URL+"/admin/portals"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/portals/new"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/admin/portals/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#name")),
	)
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the portal form is %d px wide on a 375 px screen", w)
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "Team Wiki"),
		chromedp.SendKeys(chromedp.CSS("#redirect_uris"), "https://wiki.acme.test/callback"),
		chromedp.SendKeys(chromedp.CSS("#home_url"), "https://wiki.acme.test/"),
		chromedp.Click(chromedp.CSS("#scope-roles")),
		chromedp.Click(chromedp.CSS("#scope-offline_access")),
		chromedp.Click(chromedp.CSS("form.form button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#new-secret")),
	)
	if got := text(t, ctx, ".notice-success"); !strings.Contains(got, "shown only once") {
		t.Errorf("secret notice: %q", got)
	}
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#new-secret")))
	if err != nil || !strings.HasPrefix(secret, "ims_cs_") {
		t.Errorf("secret field: %q, %v", secret, err)
	}
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the registered portal's page is %d px wide on a 375 px screen", w)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "portal-registered-375px.png", shot)
	run(t, ctx, chromedp.Navigate(app.URL+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".portals")))
	if got := text(t, ctx, ".portals"); !strings.Contains(got, "Team Wiki") {
		t.Errorf("Dashboard portals: %q", got)
	}
	list, _ := app.DB.Portals(context.Background(), app.Org.ID)
	if len(list) != 1 || list[0].Name != "Team Wiki" || !list[0].RequirePKCE ||
		strings.Join(list[0].AllowedScopes, " ") != "openid profile email" {
		t.Errorf("stored portals: %+v; want PKCE required and the scopes left ticked, openid with them", list)
	}
}
