package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"imslogin/internal/config"
	"imslogin/internal/server/servertest"
)

// virtualKey gives the browser a virtual security key that answers at once.
func virtualKey(t *testing.T, ctx context.Context) {
	t.Helper()
	// The tab must exist before the WebAuthn domain can be enabled in it.
	run(t, ctx, chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
			Transport: webauthn.AuthenticatorTransportUsb, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true}}); err != nil {
		t.Fatal(err)
	}
}

// Register a key in My Profile → Security, sign out, sign in with it; a
// second browser without the key cannot pass the step.
func TestSecurityKeyRegisterThenSignIn(t *testing.T) {
	// WebAuthn needs a domain name, so the browser uses localhost.
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) {
		c.PublicURL = strings.Replace(c.PublicURL, "127.0.0.1", "localhost", 1)
	}})
	base := strings.Replace(app.URL, "127.0.0.1", "localhost", 1)
	signInAt := func(ctx context.Context, waitFor string) {
		t.Helper()
		run(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#organisation")),
			chromedp.Clear(chromedp.CSS("#organisation")), chromedp.SendKeys(chromedp.CSS("#organisation"), app.Org.Name),
			chromedp.SendKeys(chromedp.CSS("#email"), "ana@acme.test"),
			chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
			chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS(waitFor)))
	}
	ctx := newBrowser(t)
	virtualKey(t, ctx)
	signInAt(ctx, ".notice")
	run(t, ctx, chromedp.Navigate(base+"/profile/security"), chromedp.WaitVisible(chromedp.CSS("#keys")),
		chromedp.Click(chromedp.CSS(`form[action="/profile/security/webauthn"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#key_name")),
		chromedp.SendKeys(chromedp.CSS("#key_name"), "Blue key"),
		chromedp.Click(chromedp.CSS("#key-form button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".notice, #webauthn-error")))
	if msg := text(t, ctx, ".notice, #webauthn-error"); !strings.Contains(msg, "security key is set up") {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("registering the key: %q\n%s", msg, html)
	}
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "security key is set up") {
		t.Fatalf("after registering: %q", got)
	}
	if got := text(t, ctx, ".factors"); !strings.Contains(got, "Blue key") {
		t.Errorf("keys listed: %q", got)
	}
	run(t, ctx, chromedp.EmulateViewport(375, 812), chromedp.Navigate(base+"/profile/security"), chromedp.WaitVisible(chromedp.CSS("#keys")))
	if width, _ := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); width > 375 {
		t.Errorf("My Profile → Security is %d px wide on a 375 px screen", width)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		artifact(t, "security-375px.png", shot)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(".profile-menu summary")), chromedp.WaitVisible(chromedp.CSS(".menu form[action=\"/logout\"] button")),
		chromedp.Click(chromedp.CSS(".menu form[action=\"/logout\"] button")), chromedp.WaitVisible(chromedp.CSS("#organisation")))

	signInAt(ctx, "#mfa-form")
	if got := text(t, ctx, ".lead"); !strings.Contains(got, "security keys") {
		t.Fatalf("MFA step: %q", got)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS("#mfa-form button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Fatalf("signing in with the key landed on %q", got)
	}
	si, err := app.DB.MemberSessions(context.Background(), app.Org.ID, app.Member.ID)
	if err != nil || len(si) == 0 || strings.Join(si[0].AMR, " ") != "pwd hwk mfa" {
		t.Errorf("amr of the session: %+v, %v", si, err)
	}

	// Another browser with an authenticator that does not hold the key.
	other := newBrowser(t)
	virtualKey(t, other)
	signInAt(other, "#mfa-form")
	run(t, other, chromedp.Click(chromedp.CSS("#mfa-form button.primary")), chromedp.WaitVisible(chromedp.CSS("#webauthn-error")))
	if got := text(t, other, "#webauthn-error"); !strings.Contains(got, "did not answer") {
		t.Errorf("second browser: %q", got)
	}
	if got := text(t, other, "h1"); got != "Confirm it's you" {
		t.Errorf("second browser left the MFA step: %q", got)
	}
}
