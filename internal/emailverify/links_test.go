package emailverify_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"imslogin/internal/mail"
	"imslogin/internal/server/servertest"
)

var resetLink = regexp.MustCompile(`/reset-password\?token=[A-Za-z0-9_-]{43}`)

// askReset asks for a reset link for the app's member, as "Forgot
// password?" does, and returns its path from the outbox.
func askReset(t *testing.T, app *servertest.App, email string) string {
	t.Helper()
	resp, _ := app.Post(t, app.Browser(t), "/forgot-password", url.Values{"organisation": {app.Org.Name}, "email": {email}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("forgot password: %d", resp.StatusCode)
	}
	msgs, _ := app.DB.OrganisationMail(context.Background(), app.Org.ID, 100)
	for _, m := range msgs {
		if m.Kind == mail.PasswordReset && m.To == email {
			return resetLink.FindString(m.Text)
		}
	}
	t.Fatal("no reset link was queued")
	return ""
}

// A reset link sent to the old address stops working when the address
// changes, and so does every other session of the member; this one stays.
func TestEmailChangeEndsResetLinksAndOtherSessions(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	link := askReset(t, app, "ana@acme.test")
	laptop, phone := app.Browser(t), app.Browser(t)
	app.SignIn(t, laptop, "ana@acme.test")
	app.SignIn(t, phone, "ana@acme.test")
	if resp, body := changeTo(t, app, laptop, "ana@new.test"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := profileCode(t, app, laptop, newestCode(t, app, "ana@new.test")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code: %d\n%s", resp.StatusCode, body)
	}
	resp, body := app.Get(t, app.Browser(t), link)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "changed after this link was sent") {
		t.Errorf("reset link to the old address after the change: %d\n%s", resp.StatusCode, body)
	}
	token := strings.TrimPrefix(link, "/reset-password?token=")
	resp, _ = app.Post(t, app.Browser(t), "/reset-password", url.Values{"token": {token},
		"password": {"violet mango tractor glacier"}, "password_confirm": {"violet mango tractor glacier"}})
	if resp.StatusCode == http.StatusSeeOther {
		t.Error("the old reset link still set the password")
	}
	if resp, _ := app.Get(t, phone, "/dashboard"); resp.StatusCode == http.StatusOK {
		t.Error("another session survived the change of address")
	}
	if resp, _ := app.Get(t, laptop, "/dashboard"); resp.StatusCode != http.StatusOK {
		t.Errorf("the browser that changed the address was signed out: %d", resp.StatusCode)
	}
}

// A reset link asked for before a password change does not undo it.
func TestPasswordChangeEndsResetLinks(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	link := askReset(t, app, "ana@acme.test")
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	pw := "violet mango tractor glacier"
	if resp, body := app.Post(t, c, "/profile/password", url.Values{"current_password": {servertest.Password}, "password": {pw},
		"password_confirm": {pw}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", resp.StatusCode, body)
	}
	resp, body := app.Get(t, app.Browser(t), link)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "changed after this link was sent") {
		t.Errorf("reset link after a password change: %d\n%s", resp.StatusCode, body)
	}
}
