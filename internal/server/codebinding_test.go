package server_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"imslogin/internal/mail"
	"imslogin/internal/mfa/code"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestCodeSentForOneSignInIsRefusedInAnother: a member signs in in two
// browsers at once. The code sent for the first sign-in (email or text
// second factor, or the email verification step) is refused in the
// second, and still finishes the first; the second gets a code of its own
// once the member's minute between codes has passed, and that one works.
func TestCodeSentForOneSignInIsRefusedInAnother(t *testing.T) {
	for _, step := range []string{"email", "sms", "verify-email"} {
		t.Run(step, func(t *testing.T) {
			app := servertest.New(t, servertest.Options{})
			page, newest := "/login/mfa", func() string { return lastEmailCode(t, app, "ana@acme.test") }
			switch step {
			case "sms":
				if err := code.SetPhone(context.Background(), app.DB, app.Org.ID, app.Member.ID, "+15555550123", app.Clock.Now()); err != nil {
					t.Fatal(err)
				}
				newest = func() string { _, c := lastSMS(t, app); return c }
				fallthrough
			case "email":
				requireMFA(t, app, step)
			case "verify-email":
				unverified := app.AddMember(t, "bo@acme.test", func(m *store.Member) { m.EmailVerified = false })
				page, newest = "/login/verify-email", func() string { return newestEmailCode(t, app, unverified.Email) }
			}
			email := "ana@acme.test"
			if step == "verify-email" {
				email = "bo@acme.test"
			}
			answer := func(c *http.Client, guess string) (*http.Response, string) {
				return app.Post(t, c, page, url.Values{"method": {step}, "code": {guess}})
			}
			first, second := app.Browser(t), app.Browser(t)
			if loc := startSignIn(t, app, first, email); loc != page {
				t.Fatalf("first sign-in went to %s, want %s", loc, page)
			}
			app.Get(t, first, page)
			firstCode := newest()
			if loc := startSignIn(t, app, second, email); loc != page {
				t.Fatalf("second sign-in went to %s, want %s", loc, page)
			}
			app.Get(t, second, page)
			if resp, body := answer(second, firstCode); resp.StatusCode == http.StatusSeeOther {
				t.Fatalf("the first sign-in's code finished the second: %s\n%s", resp.Header.Get("Location"), body)
			}
			if resp, body := answer(first, firstCode); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
				t.Fatalf("the first sign-in's code in the first: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			app.Clock.Advance(61 * time.Second)
			app.Post(t, second, page, url.Values{"action": {"resend"}})
			secondCode := newest()
			if resp, body := answer(second, secondCode); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
				t.Fatalf("the second sign-in's own code: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}
}

// newestEmailCode is the code in the newest email proving an address.
func newestEmailCode(t *testing.T, app *servertest.App, to string) string {
	t.Helper()
	list, err := app.DB.OrganisationMail(context.Background(), app.Org.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.To == to && m.Kind == mail.EmailCode {
			return sixDigits.FindString(m.Text)
		}
	}
	t.Fatalf("no address code emailed to %s", to)
	return ""
}
