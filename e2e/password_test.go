package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"imslogin/internal/devmail"
	"imslogin/internal/linkmail"
	"imslogin/internal/membership"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/web"
)

const newPassword = "violet mango tractor glacier"

// newMailApp is an app with the development mailbox, as in the demo, so the
// browser reads every email there and clicks its link.
func newMailApp(t *testing.T) *servertest.App {
	t.Helper()
	db := sqltest.NewSQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pages, err := web.NewRenderer(log)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.New(t, servertest.Options{DB: db, Server: server.Options{
		Extra: []server.Mounter{&devmail.Handler{Store: db, Pages: pages, Log: log}},
	}})
}

// openNewestMail opens the newest message in the mailbox and follows its link.
func openNewestMail(t *testing.T, ctx context.Context, app *servertest.App, subject string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(app.URL+"/dev/mail"), chromedp.WaitVisible(chromedp.CSS(".mail summary")))
	if got := text(t, ctx, ".mail summary strong"); got != subject {
		t.Fatalf("newest email is %q, want %q", got, subject)
	}
	run(t, ctx,
		chromedp.Click(chromedp.CSS(".mail summary")),
		chromedp.WaitVisible(chromedp.CSS(".mail a")),
		chromedp.Click(chromedp.CSS(".mail a")),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
}

// typeNewPassword fills the new-password fields and waits for the live meter.
func typeNewPassword(t *testing.T, ctx context.Context, pw string) {
	t.Helper()
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.WaitVisible(chromedp.CSS("#strength .strength-label")),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), pw),
	)
	if got := text(t, ctx, "#strength .strength-label"); !strings.Contains(got, "Strength:") {
		t.Errorf("live strength meter shows %q", got)
	}
}

func TestInvitationSetPasswordDashboard(t *testing.T) {
	app := newMailApp(t)
	svc := &membership.Service{Store: app.DB, Hasher: app.Server.Hasher, Now: app.Clock.Now,
		Invitations: &linkmail.Sender{PublicURL: app.URL, Now: app.Clock.Now}}
	if _, err := svc.AddMember(context.Background(), membership.NewMember{Organisation: app.Org.Name,
		Email: "new@acme.test", Name: "Nia Newcomer", Role: store.RoleMember}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	openNewestMail(t, ctx, app, "You're invited to Acme on IMS Login")
	typeNewPassword(t, ctx, newPassword)
	run(t, ctx, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Errorf("after setting the password landed on %q, want the Dashboard", got)
	}
	if got := text(t, ctx, ".lead"); !strings.Contains(got, "Nia Newcomer") {
		t.Errorf("Dashboard greets %q", got)
	}
}

// TestForgotPasswordResetSignIn runs on a phone-sized screen.
func TestForgotPasswordResetSignIn(t *testing.T) {
	app := newMailApp(t)
	ctx := newBrowser(t)
	run(t, ctx,
		chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(app.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
		chromedp.Click(chromedp.CSS(`a[href^="/forgot-password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
		chromedp.Clear(chromedp.CSS("#organisation")), chromedp.SendKeys(chromedp.CSS("#organisation"), app.Org.Name),
		chromedp.SendKeys(chromedp.CSS("#email"), "ana@acme.test"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "verification email is on its way") {
		t.Errorf("notice after Send Verification Email: %q", got)
	}
	openNewestMail(t, ctx, app, "Reset your IMS Login password for Acme")
	typeNewPassword(t, ctx, newPassword)
	if width, _ := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); width > 375 {
		t.Errorf("the reset form is %d px wide on a 375 px screen", width)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "reset-password-375px.png", shot)
	run(t, ctx, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "password has been reset") {
		t.Errorf("notice after the reset: %q", got)
	}
	signIn(t, ctx, app, "ana@acme.test", newPassword)
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Errorf("signing in with the new password landed on %q", got)
	}
}

func TestChangePasswordSignsOutOtherSession(t *testing.T) {
	app := newMailApp(t)
	other := app.Browser(t)
	app.SignIn(t, other, "ana@acme.test")
	ctx := newBrowser(t)
	signIn(t, ctx, app, "ana@acme.test", servertest.Password)
	run(t, ctx,
		chromedp.Click(chromedp.CSS(".profile-menu summary")),
		chromedp.WaitVisible(chromedp.CSS(`.menu a[href="/profile/password"]`)),
		chromedp.Click(chromedp.CSS(`.menu a[href="/profile/password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#current_password")),
		chromedp.SendKeys(chromedp.CSS("#current_password"), servertest.Password),
	)
	typeNewPassword(t, ctx, newPassword)
	run(t, ctx, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "password has been changed") {
		t.Errorf("notice after Confirm: %q", got)
	}
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Errorf("after the change landed on %q, want the Dashboard", got)
	}
	if resp, _ := app.Get(t, other, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the other session still opens the Dashboard (%d)", resp.StatusCode)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "password-changed.png", shot)
}
