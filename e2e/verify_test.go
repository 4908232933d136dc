package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"imslogin/internal/mail"
	"imslogin/internal/mail/mailtest"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// smtpInbox delivers the app's outbox to a real SMTP server for the test.
type smtpInbox struct {
	t      *testing.T
	smtp   *mailtest.Server
	worker *mail.Worker
}

func newSMTPInbox(t *testing.T, app *servertest.App) *smtpInbox {
	t.Helper()
	srv := mailtest.Start(t)
	sender, err := mail.NewSMTP(srv.URL, "IMS Login <login@ims.example>", mail.WithTLSConfig(srv.ClientTLS))
	if err != nil {
		t.Fatal(err)
	}
	return &smtpInbox{t: t, smtp: srv, worker: &mail.Worker{Store: app.DB, Sender: sender, Now: app.Clock.Now}}
}

var codeLine = regexp.MustCompile(`(?m)^\s+(\d{6})\s*$`)

// code delivers the outbox and reads the newest code received by to.
func (in *smtpInbox) code(to string) string {
	in.t.Helper()
	msgs := in.deliver(to)
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := codeLine.FindStringSubmatch(msgs[i].Text); m != nil {
			return m[1]
		}
	}
	in.t.Fatalf("no code received by %s (%d messages)", to, len(msgs))
	return ""
}

// deliver runs the mail worker until the outbox is empty and returns what
// to has received.
func (in *smtpInbox) deliver(to string) []mailtest.Message {
	in.t.Helper()
	for range 100 {
		r, err := in.worker.RunOnce(context.Background())
		if err != nil {
			in.t.Fatal(err)
		}
		if r == (mail.Round{}) {
			break
		}
	}
	return in.smtp.To(to)
}

// enterCode types a code, clicks "Verify Email" and waits for next, an
// element of the page that follows.
func enterCode(t *testing.T, ctx context.Context, code, next string) {
	t.Helper()
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Click(chromedp.CSS(`form:has(#code) button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(next)),
	)
}

func TestVerifyEmailAtSignInThenChangeIt(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "bo@acme.test", func(m *store.Member) {
		m.Name, m.Role, m.EmailVerified = "Bo Brandt", store.RoleAdministrator, false
	})
	inbox := newSMTPInbox(t, app)
	ctx := newBrowser(t)

	// Sign in on a phone-sized screen: the password leads to the code step.
	run(t, ctx,
		chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
		chromedp.Clear(chromedp.CSS("#organisation")), chromedp.SendKeys(chromedp.CSS("#organisation"), app.Org.Name),
		chromedp.SendKeys(chromedp.CSS("#email"), "bo@acme.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	if got := text(t, ctx, "h1"); got != "Verify your email" {
		t.Fatalf("after the password landed on %q", got)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "junk or spam") || !strings.Contains(got, "bo@acme.test") {
		t.Errorf("the step page does not say where the code went or to check junk/spam: %q", got)
	}
	if width, _ := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); width > 375 {
		t.Errorf("the code page is %d px wide on a 375 px screen", width)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "verify-email-375px.png", shot)

	enterCode(t, ctx, inbox.code("bo@acme.test"), ".tiles")
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Fatalf("after the code landed on %q", got)
	}
	if got := text(t, ctx, "main"); strings.Contains(got, "not verified") {
		t.Errorf("the Dashboard still shows the unverified banner: %q", got)
	}
	// Team Members shows the green check mark beside the address at once.
	run(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(app.URL+"/admin/members?q=bo"),
		chromedp.WaitVisible(chromedp.CSS("table")))
	if got := text(t, ctx, "tbody tr"); !strings.Contains(got, "bo@acme.test ✓") {
		t.Errorf("Team Members row: %q, want the check mark beside the address", got)
	}
	color, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("tbody .verified")).color`))
	if color != "rgb(19, 101, 63)" {
		t.Errorf("the check mark is %q, want green", color)
	}
	shot, _ = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "team-members-verified.png", shot)

	// My Profile → Email Address: a new address, proved by its own code.
	run(t, ctx,
		chromedp.Click(chromedp.CSS(".profile-menu summary")),
		chromedp.WaitVisible(chromedp.CSS(`.menu a[href="/profile"]`)),
		chromedp.Click(chromedp.CSS(`.menu a[href="/profile"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.facts a[href="/profile/email"]`)),
		chromedp.Click(chromedp.CSS(`.facts a[href="/profile/email"]`)),
		chromedp.WaitVisible(chromedp.CSS("#new_email")),
		chromedp.SendKeys(chromedp.CSS("#new_email"), "bo@brandt.test"),
		chromedp.Click(chromedp.CSS(`form:has(#new_email) button.primary`)),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	if got := text(t, ctx, "main"); !strings.Contains(got, "bo@brandt.test") {
		t.Errorf("the page does not say where the code went: %q", got)
	}
	// The code page already has a .verified mark (the current address), so
	// wait for the notice of the page that follows, not for an element.
	enterCode(t, ctx, inbox.code("bo@brandt.test"), "main")
	waitText(t, ctx, ".notice", "Your email address is changed")
	shot, _ = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "email-changed.png", shot)
	if old := inbox.deliver("bo@acme.test"); len(old) == 0 || !strings.Contains(old[len(old)-1].Subject, "was changed") {
		t.Errorf("the old address was not told of the change")
	}

	// Sign out; the old address no longer signs in, the new one does.
	run(t, ctx,
		chromedp.Click(chromedp.CSS(".profile-menu summary")),
		chromedp.WaitVisible(chromedp.CSS(".menu form[action=\"/logout\"] button")),
		chromedp.Click(chromedp.CSS(".menu form[action=\"/logout\"] button")),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
	)
	signIn(t, ctx, app, "bo@acme.test", servertest.Password)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "couldn't sign you in") {
		t.Errorf("the old address: %q, want the ordinary failure notice", got)
	}
	signIn(t, ctx, app, "bo@brandt.test", servertest.Password)
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Errorf("the new address landed on %q", got)
	}
}

func TestSkipForNowShowsTheBanner(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "bo@acme.test", func(m *store.Member) { m.EmailVerified = false })
	ctx := newBrowser(t)
	run(t, ctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
		chromedp.Clear(chromedp.CSS("#organisation")), chromedp.SendKeys(chromedp.CSS("#organisation"), app.Org.Name),
		chromedp.SendKeys(chromedp.CSS("#email"), "bo@acme.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), servertest.Password),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
		chromedp.Click(chromedp.CSS(`input[value="skip"] + button`)),
		chromedp.WaitVisible(chromedp.CSS(".banner")),
	)
	if got := text(t, ctx, ".banner"); !strings.Contains(got, "not verified") {
		t.Errorf("banner: %q", got)
	}
	run(t, ctx, chromedp.EmulateViewport(375, 812), chromedp.Click(chromedp.CSS(".banner a")),
		chromedp.WaitVisible(chromedp.CSS("#new_email")))
	if got := text(t, ctx, "h1"); got != "Email Address" {
		t.Errorf("the banner led to %q", got)
	}
	if width, _ := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); width > 375 {
		t.Errorf("Email Address is %d px wide on a 375 px screen", width)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "email-address-375px.png", shot)
}
