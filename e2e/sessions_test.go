package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"imslogin/internal/server/servertest"
)

// signedInElsewhere signs ana in from a second "device" (an HTTP client)
// and returns a check of whether that device is still signed in.
func signedInElsewhere(t *testing.T, app *servertest.App) func() bool {
	t.Helper()
	phone := app.Browser(t)
	app.SignIn(t, phone, "ana@acme.test")
	return func() bool {
		resp, _ := app.Get(t, phone, "/dashboard")
		return resp.StatusCode == http.StatusOK
	}
}

func TestSessionListAndRevoke(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	signIn(t, ctx, app, "ana@acme.test", servertest.Password)
	phoneSignedIn := signedInElsewhere(t, app)
	run(t, ctx,
		chromedp.EmulateViewport(375, 812),
		chromedp.Click(chromedp.CSS(`.tiles a[href="/profile/sessions"]`)), // linked from the Dashboard
		chromedp.WaitVisible(chromedp.CSS(".sessions")),
	)
	if got := text(t, ctx, "h1"); got != "Where you're signed in" {
		t.Fatalf("page heading %q", got)
	}
	current := text(t, ctx, "li.session.current")
	if !strings.Contains(current, "This browser") || !strings.Contains(current, "Headless Chrome on Linux") ||
		!strings.Contains(current, "127.0.0.1") {
		t.Errorf("this browser's entry: %q", current)
	}
	if other := text(t, ctx, "li.session:not(.current)"); !strings.Contains(other, "Last seen") {
		t.Errorf("the other session's entry: %q", other)
	}
	if width, _ := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); width > 375 {
		t.Errorf("the sessions page is %d px wide on a 375 px screen", width)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		artifact(t, "sessions-375px.png", shot)
	}
	if !phoneSignedIn() {
		t.Fatal("the other device is signed out before the revoke")
	}
	run(t, ctx,
		chromedp.Click(chromedp.CSS("li.session:not(.current) button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "That browser is signed out") {
		t.Errorf("notice after revoking: %q", got)
	}
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('li.session').length"))
	if n != 1 {
		t.Errorf("%d sessions listed after the revoke, want 1", n)
	}
	if phoneSignedIn() {
		t.Error("the revoked device's cookie still works on its next request")
	}
}

func TestStaleSessionAsksForPasswordBeforeSigningOutEverywhere(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := newBrowser(t)
	signIn(t, ctx, app, "ana@acme.test", servertest.Password)
	phoneSignedIn := signedInElsewhere(t, app)
	app.Clock.Advance(11 * time.Minute)
	run(t, ctx,
		chromedp.Navigate(app.URL+"/profile/sessions"),
		chromedp.WaitVisible(chromedp.CSS(".everywhere button")),
		chromedp.Click(chromedp.CSS(".everywhere button")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
	if got := text(t, ctx, "h1"); got != "Confirm it's you" {
		t.Fatalf("a stale session was not asked for its password: page %q", got)
	}
	if !phoneSignedIn() {
		t.Fatal("sessions ended before the password was confirmed")
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".everywhere button")), // back where the member was
		chromedp.Click(chromedp.CSS(".everywhere button")),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
	)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "signed out everywhere") {
		t.Errorf("notice after signing out everywhere: %q", got)
	}
	if phoneSignedIn() {
		t.Error("the other device is still signed in after signing out everywhere")
	}
}
