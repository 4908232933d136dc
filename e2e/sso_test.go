package e2e

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"imslogin/internal/demoportal"
	"imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// startPortal registers a sample portal in the app's organisation and
// serves it on a 127.0.0.1 port of its own.
func startPortal(t *testing.T, app *servertest.App, name string, access store.PortalAccess, members ...string) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	svc := &portal.Service{Store: app.DB, PublicURL: app.URL, Now: time.Now}
	_, creds, err := svc.Create(context.Background(), portal.By{OrgID: app.Org.ID, Actor: "test"}, portal.Input{
		Name: name, RedirectURIs: []string{demoportal.RedirectURI(base)}, PostLogoutRedirectURIs: []string{demoportal.PostLogoutURI(base)},
		HomeURL: demoportal.HomeURL(base), BackchannelLogoutURI: demoportal.BackchannelLogoutURI(base), Confidential: true, FirstParty: true, Access: access, MemberEmails: members})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = demoportal.New(demoportal.Config{Name: name, Issuer: creds.Issuer, ClientID: creds.ClientID,
		ClientSecret: creds.Secret, URL: base})
	ts.Start()
	t.Cleanup(ts.Close)
	return base
}

// location is where the browser is now.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// signInThroughPortal clicks the portal's "Sign in with IMS Login" and
// fills the organisation's sign-in page it leads to.
func signInThroughPortal(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#sign-in")),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
	if loc := location(t, ctx); !strings.Contains(loc, "/o/acme/login") {
		t.Errorf("the portal sent the browser to %s, want the organisation's sign-in page", loc)
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button.primary")),
	)
}

// reloadUntil opens url again and again until the first element matching
// sel contains want, for at most 10 s: what the page shows changes with
// something that happens elsewhere (a back-channel logout delivered).
func reloadUntil(t *testing.T, ctx context.Context, url, sel, want string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		run(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(".brand")))
		if last = text(t, ctx, sel); strings.Contains(last, want) {
			return
		}
	}
	t.Fatalf("%s at %s never said %q; last: %q", sel, url, want, last)
}

// TestSingleSignOnAcrossPortals: sign in once at the first portal, open
// the second with no new sign-in, sign out of one (RP-initiated logout):
// the other is told by back-channel logout and shows it signed out, and
// the next sign-in anywhere asks for the password again.
func TestSingleSignOnAcrossPortals(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.RunLogouts(t, 50*time.Millisecond)
	wiki := startPortal(t, app, "Team Wiki", store.PortalAccessAll)
	board := startPortal(t, app, "Team Board", store.PortalAccessAll)
	ctx := newBrowser(t)

	signInThroughPortal(t, ctx, wiki, app.Member.Email)
	waitText(t, ctx, "#email", app.Member.Email)
	if loc := location(t, ctx); !strings.HasPrefix(loc, wiki) {
		t.Errorf("after signing in the browser is at %s, want the first portal", loc)
	}
	for sel, want := range map[string]string{"h1": "Welcome, Ana Lima", "#org": "acme", "#roles": "owner", "#amr": "pwd"} {
		if got := text(t, ctx, sel); !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q", sel, got, want)
		}
	}

	// The second portal: one click, no sign-in page.
	run(t, ctx, chromedp.Navigate(board+"/"), chromedp.WaitVisible(chromedp.CSS("#sign-in")),
		chromedp.Click(chromedp.CSS("#sign-in")))
	waitText(t, ctx, "#email", app.Member.Email)
	if loc := location(t, ctx); !strings.HasPrefix(loc, board) {
		t.Errorf("the second portal's sign-in ended at %s", loc)
	}
	if got := text(t, ctx, ".brand"); !strings.Contains(got, "Team Board") {
		t.Errorf("second portal: %q", got)
	}

	// Sign out of the first portal: IMS Login's session ends too.
	run(t, ctx, chromedp.Navigate(wiki+"/"), chromedp.WaitVisible(chromedp.CSS("#sign-out")),
		chromedp.Click(chromedp.CSS("#sign-out")))
	waitText(t, ctx, ".notice", "You have signed out of Team Wiki and of IMS Login.")
	if loc := location(t, ctx); !strings.HasPrefix(loc, wiki+"/signed-out") {
		t.Errorf("after signing out the browser is at %s, want the registered post-logout URI", loc)
	}

	// The second portal is told (back-channel logout): its page says so.
	reloadUntil(t, ctx, board+"/", "main", "You were signed out of Team Board: your IMS Login session ended.")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('#sign-out').length")); err != nil || n != 0 {
		t.Errorf("the second portal still offers Sign out after it was told")
	}
	list, err := app.DB.OrganisationLogouts(context.Background(), app.Org.ID, 10)
	if err != nil || len(list) != 1 || list[0].Status != store.MailSent {
		t.Errorf("logout outbox %+v, %v; want one message, delivered (to the second portal only)", list, err)
	}
	run(t, ctx, chromedp.Navigate(board+"/login"), chromedp.WaitVisible(chromedp.CSS("#password")))
	if loc := location(t, ctx); !strings.Contains(loc, "/o/acme/login") {
		t.Errorf("the second portal's next sign-in went to %s, want the sign-in page", loc)
	}
}

// TestPortalAccessDenied: a member the portal does not admit sees Access
// Denied naming the account and the portal, and can sign in there with
// another account; at 375 px both Access Denied and the sample portal
// look finished.
func TestPortalAccessDenied(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "bo@acme.test", nil)
	payroll := startPortal(t, app, "Payroll", store.PortalAccessMembers, app.Member.Email)
	ctx := newBrowser(t)
	run(t, ctx, chromedp.EmulateViewport(375, 812))

	signInThroughPortal(t, ctx, payroll, "bo@acme.test")
	waitText(t, ctx, "h1", "Access Denied")
	got := text(t, ctx, "main")
	for _, want := range []string{"bo@acme.test", "Acme", "Payroll", "ask an administrator", "Sign in with a different account"} {
		if !strings.Contains(got, want) {
			t.Errorf("the Access Denied page lacks %q:\n%s", want, got)
		}
	}
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("Access Denied is %d px wide on a 375 px screen", w)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "access-denied-375px.png", shot)

	// "Sign in with a different account": the owner, whom Payroll admits.
	run(t, ctx, chromedp.Click(chromedp.CSS("form button.primary")), chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#email"), app.Member.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button.primary")))
	waitText(t, ctx, "#email", app.Member.Email)
	if loc := location(t, ctx); !strings.HasPrefix(loc, payroll) {
		t.Errorf("after switching accounts the browser is at %s, want Payroll", loc)
	}

	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the sample portal is %d px wide on a 375 px screen", w)
	}
	shot, _ = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "sample-portal-375px.png", shot)
}
