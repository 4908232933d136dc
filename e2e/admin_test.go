package e2e

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"imslogin/internal/mail"
	"imslogin/internal/mail/mailtest"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// deliverMail sends the outbox to the test SMTP server, as the worker does.
func deliverMail(t *testing.T, app *servertest.App, srv *mailtest.Server) {
	t.Helper()
	sender, err := mail.NewSMTP(srv.URL, "IMS Login <login@ims.example>", mail.WithTLSConfig(srv.ClientTLS))
	if err != nil {
		t.Fatal(err)
	}
	w := &mail.Worker{Store: app.DB, Sender: sender, Now: app.Clock.Now}
	if _, err := w.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func screenWidth(t *testing.T, ctx context.Context) int {
	t.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestAddTeamMemberInvitationGreenCheck: an Owner adds a team member; the
// invitation arrives at the SMTP server; the new member sets a password
// from its link; Team Members then shows their email as verified.
func TestAddTeamMemberInvitationGreenCheck(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	srv := mailtest.Start(t)
	ctx := newBrowser(t)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx,
		chromedp.Navigate(app.URL+"/admin/members"),
		chromedp.WaitVisible(chromedp.CSS("table.members")),
		chromedp.Click(chromedp.CSS(`a[href="/admin/members/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Nia Newcomer"),
		chromedp.SendKeys(chromedp.CSS("#email"), "nia@acme.test"),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS(".notice-success")),
	)
	if got := text(t, ctx, ".notice-success"); !strings.Contains(got, "invitation email is on its way") {
		t.Errorf("confirmation: %q", got)
	}
	if got := text(t, ctx, ".facts"); !strings.Contains(got, "invited") || !strings.Contains(got, "not verified") {
		t.Errorf("new member's page: %q", got)
	}

	deliverMail(t, app, srv)
	got := srv.To("nia@acme.test")
	if len(got) != 1 || got[0].Subject != "You're invited to Acme on IMS Login" {
		t.Fatalf("invitation at the SMTP server: %+v", got)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(app.URL) + `/invitation\?token=[A-Za-z0-9_-]+`).FindString(got[0].Text)
	if link == "" {
		t.Fatalf("no invitation link in:\n%s", got[0].Text)
	}
	run(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#password")))
	typeNewPassword(t, ctx, newPassword)
	run(t, ctx, chromedp.Click(chromedp.CSS("button.primary")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, "h1"); got != "Dashboard" {
		t.Fatalf("after the invitation landed on %q", got)
	}

	run(t, ctx, // sign out from the profile menu, then in again as the Owner
		chromedp.Click(chromedp.CSS("details.profile-menu summary")),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#organisation")),
	)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx, chromedp.Navigate(app.URL+"/admin/members?q=nia"), chromedp.WaitVisible(chromedp.CSS("table.members")))
	row := text(t, ctx, "table.members tbody tr")
	if !strings.Contains(row, "nia@acme.test ✓") || !strings.Contains(row, "active") {
		t.Errorf("Team Members row after the invitation: %q", row)
	}
	n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.members tbody tr .verified').length`))
	if n != 1 {
		t.Errorf("green check marks: %d, want 1", n)
	}
}

// TestEditRoleOnPhone changes a member's role on a 375 px screen.
func TestEditRoleOnPhone(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	bob := app.AddMember(t, "bob@acme.test", func(m *store.Member) { m.Name = "Bob Brito" })
	ctx := newBrowser(t)
	run(t, ctx, chromedp.EmulateViewport(375, 812))
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx, chromedp.Navigate(app.URL+"/admin/members"), chromedp.WaitVisible(chromedp.CSS("table.members")))
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("Team Members is %d px wide on a 375 px screen", w)
	}
	shot, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	artifact(t, "team-members-375px.png", shot)
	run(t, ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/admin/members/%d"]`, bob.ID))),
		chromedp.WaitVisible(chromedp.CSS("#role")),
		chromedp.SetValue(chromedp.CSS("#role"), "administrator"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/admin/members/%d/access"] button.primary`, bob.ID))),
		chromedp.WaitVisible(chromedp.CSS(".notice-success")),
	)
	if got := text(t, ctx, ".notice-success"); !strings.Contains(got, "access has been saved") {
		t.Errorf("confirmation: %q", got)
	}
	if w := screenWidth(t, ctx); w > 375 {
		t.Errorf("the member page is %d px wide on a 375 px screen", w)
	}
	m, _ := app.DB.MemberByID(context.Background(), app.Org.ID, bob.ID)
	if m.Role != store.RoleAdministrator {
		t.Errorf("role after saving: %s", m.Role)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#role"))); v != "administrator" {
		t.Errorf("the page shows role %q after saving", v)
	}
}

// TestUnlockLockedMember locks a member with wrong passwords, then an
// administrator unlocks them and they can sign in at once.
func TestUnlockLockedMember(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	bob := app.AddMember(t, "bob@acme.test", func(m *store.Member) { m.Name = "Bob Brito" })
	attacker := app.Browser(t)
	for range 5 {
		app.Post(t, attacker, "/login", url.Values{"organisation": {app.Org.Name}, "email": {bob.Email}, "password": {"wrong password, again"}})
	}
	ctx := newBrowser(t)
	signIn(t, ctx, app, app.Member.Email, servertest.Password)
	run(t, ctx, chromedp.Navigate(app.URL+"/admin/members?q=bob"), chromedp.WaitVisible(chromedp.CSS("table.members")))
	if got := text(t, ctx, "table.members tbody tr .status"); got != "locked" {
		t.Fatalf("status in Team Members: %q, want locked", got)
	}
	run(t, ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/admin/members/%d"]`, bob.ID))),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/unlock"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/unlock"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-success")),
	)
	if got := text(t, ctx, ".notice-success"); !strings.Contains(got, "unlocked and can sign in again") {
		t.Errorf("confirmation: %q", got)
	}
	if got := text(t, ctx, ".facts .status"); got != "active" {
		t.Errorf("status after unlocking: %q", got)
	}
	app.SignIn(t, app.Browser(t), bob.Email)
	events, _ := app.DB.AuditEvents(context.Background(), app.Org.ID, store.AuditFilter{Email: bob.Email, Kind: "unlock"})
	if len(events) != 1 || events[0].Actor != app.Member.Email {
		t.Errorf("unlock audit entries: %+v", events)
	}
}
