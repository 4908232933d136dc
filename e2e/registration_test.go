package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"imslogin/internal/loginservice/loginservicetest"
	"imslogin/internal/portal"
	"imslogin/internal/registration"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestRegistrationStep2WithALoginServiceOnPhone follows Step 2 of a
// registration email on a 375 px screen: the login service's button, the
// sign-in there, and back signed in with the account linked.
func TestRegistrationStep2WithALoginServiceOnPhone(t *testing.T) {
	ch := loginservicetest.New(t)
	app := ch.App
	ctx0 := context.Background()
	portals := app.Server.Portals
	p, _, err := portals.Create(ctx0, portal.By{OrgID: app.Org.ID, Actor: "test"}, portal.Input{Name: "Grants Portal",
		RedirectURIs: []string{"https://grants.acme.test/cb"}, FirstParty: true, Access: store.PortalAccessAll})
	if err != nil {
		t.Fatal(err)
	}
	jane, _, err := app.Server.Registrations.Register(ctx0, registration.By{OrgID: app.Org.ID, Actor: "test"},
		registration.Input{PortalClientID: p.ClientID, Email: "jane@acme.test", Name: "Jane Roe"})
	if err != nil {
		t.Fatal(err)
	}
	mails, _ := app.DB.RecentMail(ctx0, 5)
	if len(mails) == 0 {
		t.Fatal("no registration email")
	}
	step2 := regexp.MustCompile(`http://\S+/register\?token=[A-Za-z0-9_-]{43}`).FindString(mails[0].Text)
	if step2 == "" {
		t.Fatalf("no Step 2 link in:\n%s", mails[0].Text)
	}

	ctx := newBrowser(t)
	run(t, ctx, chromedp.EmulateViewport(375, 812), chromedp.Navigate(step2), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if got := text(t, ctx, "main h1"); got != "Link an account" {
		t.Fatalf("Step 2 opens %q", got)
	}
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("Step 2 is %d px wide on a 375 px screen", w)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "registration-step2-375px.png", shot)
	run(t, ctx,
		chromedp.Click(chromedp.CSS(`a.button[href^="/register/services/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), ch.JDoe.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button.primary")),
	)
	waitText(t, ctx, "main", "Dashboard")
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the Dashboard is %d px wide on a 375 px screen", w)
	}
	id, err := app.DB.IdentityOfMember(ctx0, app.Org.ID, jane.ID)
	if err != nil || id.ServiceID != ch.Service.ID || !strings.Contains(id.Username, "jdoe") {
		t.Errorf("identity after Step 2: %+v, %v", id, err)
	}
}

// TestAddLoginServiceOnPhone adds a login service through Admin Settings on
// a 375 px screen; its button then shows on the organisation's sign-in page.
func TestAddLoginServiceOnPhone(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx,
		chromedp.Navigate(app.URL+"/admin/login-services"),
		chromedp.WaitVisible(chromedp.CSS("#new-name")),
		chromedp.SendKeys(chromedp.CSS("#new-name"), "NIH Network Login"),
		chromedp.SendKeys(chromedp.CSS("#new-issuer"), "https://login.nih.test"),
		chromedp.SendKeys(chromedp.CSS("#new-client-id"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#new-secret"), "s3cret"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/login-services"] button.primary`)),
	)
	waitText(t, ctx, ".notice", "login service is saved")
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the login services page is %d px wide on a 375 px screen", w)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "login-services-375px.png", shot)
	run(t, ctx,
		chromedp.Click(chromedp.CSS("details.profile-menu summary")),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.Navigate(app.URL+"/o/acme/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
	)
	if got := text(t, ctx, "main"); !strings.Contains(got, "NIH Network Login") {
		t.Errorf("the sign-in page has no button for the service: %q", got)
	}
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the sign-in page is %d px wide on a 375 px screen", w)
	}
	shot, _ = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "sign-in-login-services-375px.png", shot)
}
