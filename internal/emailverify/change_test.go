package emailverify_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/mail"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

func changeTo(t *testing.T, app *servertest.App, c *http.Client, email string) (*http.Response, string) {
	t.Helper()
	return app.Post(t, c, "/profile/email", url.Values{"action": {"change"}, "new_email": {email}})
}

func profileCode(t *testing.T, app *servertest.App, c *http.Client, code string) (*http.Response, string) {
	t.Helper()
	return app.Post(t, c, "/profile/email", url.Values{"action": {"verify"}, "code": {code}})
}

func signInAnswer(t *testing.T, app *servertest.App, email string) (*http.Response, string) {
	t.Helper()
	return app.Post(t, app.Browser(t), "/login", url.Values{"organisation": {"Acme"}, "email": {email},
		"password": {servertest.Password}})
}

func TestChangeEmail(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	if err := app.DB.SetBranding(context.Background(), store.Branding{OrgID: app.Org.ID, Logo: []byte("\x89PNG"), UpdatedAt: app.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	resp, body := changeTo(t, app, c, " Ana@New.test ")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile/email" {
		t.Fatalf("change: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, body = app.Get(t, c, "/profile/email")
	if !strings.Contains(body, "ana@new.test") || !strings.Contains(body, "you keep signing in with ana@acme.test") {
		t.Errorf("page while the change waits:\n%s", body)
	}
	// Until the code proves the new address, the old one works and the new one does not.
	if resp, _ := signInAnswer(t, app, "ana@acme.test"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("old address while the change waits: %d", resp.StatusCode)
	}
	if resp, _ := signInAnswer(t, app, "ana@new.test"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("new address before its code: %d", resp.StatusCode)
	}
	resp, body = profileCode(t, app, c, newestCode(t, app, "ana@new.test"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code: %d\n%s", resp.StatusCode, body)
	}
	_, body = app.Get(t, c, "/profile/email")
	if !strings.Contains(body, "Your email address is changed") || !strings.Contains(body, "Verified") {
		t.Errorf("page after the change:\n%s", body)
	}
	m := member(t, app, app.Member.ID)
	if m.Email != "ana@new.test" || !m.EmailVerified {
		t.Errorf("member after the change: %s verified %v", m.Email, m.EmailVerified)
	}
	resp, body = signInAnswer(t, app, "ana@acme.test")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "We couldn&#39;t sign you in") {
		t.Errorf("old address after the change: %d, want the ordinary failure notice\n%s", resp.StatusCode, body)
	}
	if resp, _ := signInAnswer(t, app, "ana@new.test"); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/dashboard" {
		t.Errorf("new address: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	msgs, _ := app.DB.OrganisationMail(context.Background(), app.Org.ID, 10)
	if len(msgs) == 0 || msgs[0].Kind != mail.EmailChanged || msgs[0].To != "ana@acme.test" || !strings.Contains(msgs[0].Text, "ana@new.test") {
		t.Errorf("the old address was not told: %+v", msgs)
	}
	for _, m := range msgs { // the code and the notice both carry the organisation's logo
		if !strings.Contains(m.HTML, `/brand/`+app.Org.URLName+`/logo.png" alt="`+app.Org.Name+`"`) {
			t.Errorf("the %s email to %s lacks the organisation's logo", m.Kind, m.To)
		}
	}
	if got := auditDetails(t, app, audit.EmailChange); !slices.Equal(got, []string{"from ana@acme.test to ana@new.test"}) {
		t.Errorf("audit: %q", got)
	}
	if resp, _ := profileCode(t, app, c, newestCode(t, app, "ana@new.test")); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the code a second time: %d", resp.StatusCode)
	}
}

func TestChangeEmailRefusesAnAddressInUse(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "bo@acme.test", nil)
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	for _, to := range []string{"bo@acme.test", "BO@acme.test"} {
		resp, body := changeTo(t, app, c, to)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already used by another member") {
			t.Errorf("change to %s: %d\n%s", to, resp.StatusCode, body)
		}
	}
	for _, bad := range []string{"", "not an address", "a@b", "x@y.test\r\nBcc: z@y.test"} {
		if resp, _ := changeTo(t, app, c, bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("change to %q: %d, want 400", bad, resp.StatusCode)
		}
	}
	if resp, _ := changeTo(t, app, c, "ana@acme.test"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("change to the same address: %d", resp.StatusCode)
	}
	if n := len(codes(t, app, "bo@acme.test")); n != 0 {
		t.Errorf("%d codes sent to an address in use", n)
	}
	// Taken while the code was on its way: refused, nothing changes.
	changeTo(t, app, c, "cy@acme.test")
	app.AddMember(t, "cy@acme.test", nil)
	resp, body := profileCode(t, app, c, newestCode(t, app, "cy@acme.test"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already used by another member") {
		t.Errorf("code for an address taken meanwhile: %d\n%s", resp.StatusCode, body)
	}
	if m := member(t, app, app.Member.ID); m.Email != "ana@acme.test" {
		t.Errorf("the address changed to %s", m.Email)
	}
}

func TestChangeEmailAsksForThePasswordOnAStaleSession(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	app.Clock.Advance(11 * time.Minute)
	resp, _ := changeTo(t, app, c, "ana@new.test")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/reauthenticate?return_to=%2Fprofile%2Femail" {
		t.Fatalf("stale session: %d %q, want the password again", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := len(codes(t, app, "ana@new.test")); n != 0 {
		t.Errorf("%d codes sent before the password", n)
	}
	app.Post(t, c, "/reauthenticate", url.Values{"password": {servertest.Password}, "return_to": {"/profile/email"}})
	if resp, _ := changeTo(t, app, c, "ana@new.test"); resp.StatusCode != http.StatusSeeOther || len(codes(t, app, "ana@new.test")) != 1 {
		t.Errorf("after the password: %d", resp.StatusCode)
	}
}

func TestProfileCodeGuessesAreLimited(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	changeTo(t, app, c, "ana@new.test")
	code := newestCode(t, app, "ana@new.test")
	for i := 1; i <= 4; i++ {
		if resp, _ := profileCode(t, app, c, wrongCode(code)); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d: %d", i, resp.StatusCode)
		}
	}
	// A resend keeps the count.
	app.Clock.Advance(time.Minute)
	app.Post(t, c, "/profile/email", url.Values{"action": {"resend"}})
	code = newestCode(t, app, "ana@new.test")
	resp, body := profileCode(t, app, c, wrongCode(code))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Too many wrong codes") {
		t.Fatalf("fifth wrong code: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := profileCode(t, app, c, code); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the right code after the limit: %d", resp.StatusCode)
	}
	if m := member(t, app, app.Member.ID); m.Email != "ana@acme.test" {
		t.Errorf("the address changed to %s", m.Email)
	}
}

func TestVerifyCurrentAddressFromProfile(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	bo := unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	app.Post(t, c, "/login/verify-email", url.Values{"action": {"skip"}})
	_, body := app.Get(t, c, "/profile/email")
	if !strings.Contains(body, "Not verified") {
		t.Errorf("profile of an unverified member:\n%s", body)
	}
	app.Clock.Advance(time.Minute)
	if resp, _ := app.Post(t, c, "/profile/email", url.Values{"action": {"verify-current"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send a code: %d", resp.StatusCode)
	}
	if resp, body := profileCode(t, app, c, newestCode(t, app, "bo@acme.test")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code: %d\n%s", resp.StatusCode, body)
	}
	if !member(t, app, bo.ID).EmailVerified {
		t.Error("not verified")
	}
	if _, body := app.Get(t, c, "/dashboard"); strings.Contains(body, "not verified") {
		t.Error("the banner stays after verifying")
	}
}
