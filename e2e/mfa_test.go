package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// submitPassword fills the sign-in form and waits for the page after it.
func submitPassword(t *testing.T, ctx context.Context, app *servertest.App, email, waitFor string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
		chromedp.Clear(chromedp.CSS("#organisation")), chromedp.SendKeys(chromedp.CSS("#organisation"), app.Org.Name),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

func lastTextCode(t *testing.T, app *servertest.App) (to, code string) {
	t.Helper()
	list, err := app.DB.RecentSMS(context.Background(), 1)
	if err != nil || len(list) == 0 {
		t.Fatalf("no text message (%v)", err)
	}
	return list[0].To, regexp.MustCompile(`\d{6}`).FindString(list[0].Body)
}

// An organisation turns MFA on with Email and SMS; a member with no phone
// is asked for one, verifies it with the texted code, ticks Remember me,
// and the next sign-in on that browser has no MFA step.
func TestMFAWithSMSPhoneEnrolmentAndRememberMe(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	if err := app.DB.SetMFAPolicy(context.Background(), app.Org.ID, store.MFAPolicy{Required: true,
		Methods: []string{"email", "sms"}, TrustedDeviceDuration: store.DefaultMFAPolicy().TrustedDeviceDuration}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	submitPassword(t, ctx, app, "ana@acme.test", "#phone")
	if got := text(t, ctx, "h1"); got != "Verify your mobile number" {
		t.Fatalf("after the password: %q", got)
	}
	run(t, ctx,
		chromedp.SetValue(chromedp.CSS("#country"), "IN"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "98123 456"), // too short
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "Enter a valid mobile number") {
		t.Errorf("malformed number: %q", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.getElementById('phone').value = ''")); err != nil {
		t.Fatal(err)
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#phone"), "98123 45678"), // the page kept the country

		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	to, code := lastTextCode(t, app)
	if to != "+919812345678" {
		t.Errorf("texted %s", to)
	}
	if width, _ := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); width > 375 {
		t.Errorf("the phone page is %d px wide on a 375 px screen", width)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		artifact(t, "mfa-phone-375px.png", shot)
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS("#remember_device")),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Fatalf("after the code: %q", got)
	}
	run(t, ctx,
		chromedp.Click(chromedp.CSS(".profile-menu summary")),
		chromedp.WaitVisible(chromedp.CSS(".menu form[action=\"/logout\"] button")),
		chromedp.Click(chromedp.CSS(".menu form[action=\"/logout\"] button")),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
	)
	submitPassword(t, ctx, app, "ana@acme.test", ".notice")
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Errorf("remembered browser: landed on %q, want the Dashboard without an MFA step", got)
	}

	// Another browser has no remembered device: it gets the SMS code step.
	other := newBrowser(t)
	submitPassword(t, other, app, "ana@acme.test", "#code")
	if got := text(t, other, ".lead"); !strings.Contains(got, "text message") || !strings.Contains(got, "5678") {
		t.Errorf("second browser's MFA step: %q", got)
	}
	_, code = lastTextCode(t, app)
	run(t, other, chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("#mfa-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, other, "h1"); got != "Dashboard" {
		t.Errorf("SMS code sign-in landed on %q", got)
	}
}
