package server_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

func requireMFA(t *testing.T, app *servertest.App, methods ...string) {
	t.Helper()
	p := store.DefaultMFAPolicy()
	p.Required, p.Methods = true, methods
	if err := app.DB.SetMFAPolicy(context.Background(), app.Org.ID, p); err != nil {
		t.Fatal(err)
	}
}

// startSignIn posts the password and returns where it led.
func startSignIn(t *testing.T, app *servertest.App, c *http.Client, email string) string {
	t.Helper()
	resp, body := app.Post(t, c, "/login", url.Values{"organisation": {app.Org.Name}, "email": {email}, "password": {servertest.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password step: %d\n%s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// lastEmailCode is the code in the newest email to the member.
func lastEmailCode(t *testing.T, app *servertest.App, to string) string {
	t.Helper()
	list, err := app.DB.OrganisationMail(context.Background(), app.Org.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.To == to && m.Kind == "mfa-code" {
			return sixDigits.FindString(m.Text)
		}
	}
	t.Fatalf("no code emailed to %s", to)
	return ""
}

// lastSMS is the newest text message and the code in it.
func lastSMS(t *testing.T, app *servertest.App) (to, code string) {
	t.Helper()
	list, err := app.DB.RecentSMS(context.Background(), 1)
	if err != nil || len(list) == 0 {
		t.Fatalf("no text message sent (%v)", err)
	}
	return list[0].To, sixDigits.FindString(list[0].Body)
}

func submitCode(t *testing.T, app *servertest.App, c *http.Client, method, code string, remember bool) (*http.Response, string) {
	t.Helper()
	form := url.Values{"method": {method}, "code": {code}}
	if remember {
		form.Set("remember_device", "on")
	}
	return app.Post(t, c, "/login/mfa", form)
}

func latestSession(t *testing.T, app *servertest.App, memberID int64) store.Session {
	t.Helper()
	list, err := app.DB.MemberSessions(context.Background(), app.Org.ID, memberID)
	if err != nil || len(list) == 0 {
		t.Fatalf("no session (%v)", err)
	}
	return list[0]
}

func TestEmailCodeIsTheSecondFactor(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email")
	if err := app.DB.SetBranding(context.Background(), store.Branding{OrgID: app.Org.ID, Logo: []byte("\x89PNG"), UpdatedAt: app.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	c := app.Browser(t)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
		t.Fatalf("after the password: %s, want /login/mfa", loc)
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode == http.StatusOK {
		t.Fatal("dashboard reachable before the second factor")
	}
	resp, body := app.Get(t, c, "/login/mfa")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="code"`) || !strings.Contains(body, "ana@acme.test") {
		t.Fatalf("mfa page: %d\n%s", resp.StatusCode, body)
	}
	code := lastEmailCode(t, app, "ana@acme.test")
	app.Get(t, c, "/login/mfa") // a reload sends no second email
	list, _ := app.DB.OrganisationMail(context.Background(), app.Org.ID, 10)
	if len(list) != 1 {
		t.Errorf("%d emails after a reload, want 1", len(list))
	} else if logo := `/brand/` + app.Org.URLName + `/logo.png" alt="`; !strings.Contains(list[0].HTML, logo) {
		t.Errorf("the code email lacks the organisation's logo:\n%s", list[0].HTML)
	}
	if resp, body := submitCode(t, app, c, "email", "000000", false); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not right") {
		t.Errorf("wrong code: %d", resp.StatusCode)
	}
	resp, body = submitCode(t, app, c, "email", code, false)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("right code: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if got := latestSession(t, app, app.Member.ID).AMR; !reflect.DeepEqual(got, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr %v, want [pwd otp mfa]", got)
	}
}

func TestOnlyTheNewestCodeWorksAndResendsDoNotResetTheCount(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email")
	c := app.Browser(t)
	startSignIn(t, app, c, "ana@acme.test")
	app.Get(t, c, "/login/mfa")
	first := lastEmailCode(t, app, "ana@acme.test")
	if _, body := app.Post(t, c, "/login/mfa", url.Values{"action": {"resend"}}); !strings.Contains(body, "moments ago") {
		t.Error("an immediate resend was not throttled")
	}
	app.Clock.Advance(61 * time.Second)
	if _, body := app.Post(t, c, "/login/mfa", url.Values{"action": {"resend"}}); !strings.Contains(body, "new code") {
		t.Error("resend after the interval did not send")
	}
	second := lastEmailCode(t, app, "ana@acme.test")
	if first == second {
		t.Skip("the two random codes happen to be equal")
	}
	for i := range 3 {
		if resp, _ := submitCode(t, app, c, "email", first, false); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("old code, try %d: %d", i+1, resp.StatusCode)
		}
	}
	app.Clock.Advance(61 * time.Second)
	app.Post(t, c, "/login/mfa", url.Values{"action": {"resend"}})
	submitCode(t, app, c, "email", "000001", false) // 4th wrong
	// The 5th wrong code locks the account (threshold 5): a resend never reset the count.
	resp, body := submitCode(t, app, c, "email", "000002", false)
	if resp.StatusCode != http.StatusLocked || !strings.Contains(body, "locked") {
		t.Fatalf("5th wrong code: %d\n%s", resp.StatusCode, body)
	}
	// Even the right password is now refused.
	resp, _ = app.Post(t, c, "/login", url.Values{"organisation": {"Acme"}, "email": {"ana@acme.test"}, "password": {servertest.Password}})
	if resp.StatusCode != http.StatusLocked {
		t.Errorf("sign-in after the lock: %d, want 423", resp.StatusCode)
	}
}

func TestCodeExpiresAfterTenMinutes(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email")
	c := app.Browser(t)
	startSignIn(t, app, c, "ana@acme.test")
	app.Get(t, c, "/login/mfa")
	code := lastEmailCode(t, app, "ana@acme.test")
	app.Clock.Advance(10*time.Minute + time.Second)
	if resp, _ := submitCode(t, app, c, "email", code, false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired code: %d, want 401", resp.StatusCode)
	}
}

func TestRememberedBrowserSkipsMFAFor30Days(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email")
	c := app.Browser(t)
	signInWithEmailCode := func(remember bool) {
		t.Helper()
		if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
			t.Fatalf("expected the MFA step, went to %s", loc)
		}
		app.Get(t, c, "/login/mfa")
		if resp, _ := submitCode(t, app, c, "email", lastEmailCode(t, app, "ana@acme.test"), remember); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("code: %d", resp.StatusCode)
		}
		app.Post(t, c, "/logout", nil)
	}
	signInWithEmailCode(true)
	app.Clock.Advance(29 * 24 * time.Hour)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/dashboard" {
		t.Fatalf("remembered browser on day 29: %s, want /dashboard", loc)
	}
	if got := latestSession(t, app, app.Member.ID).AMR; !reflect.DeepEqual(got, []string{"pwd"}) {
		t.Errorf("amr on a remembered browser %v, want [pwd]", got)
	}
	other := app.Browser(t)
	if loc := startSignIn(t, app, other, "ana@acme.test"); loc != "/login/mfa" {
		t.Errorf("another browser skipped MFA: %s", loc)
	}
	app.Post(t, c, "/logout", nil)
	app.Clock.Advance(2 * 24 * time.Hour)
	signInWithEmailCode(true) // day 31: asked again, remembered again

	// Forgetting the browser from My Profile → Security asks again.
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/dashboard" {
		t.Fatalf("remembered again: %s", loc)
	}
	devices, _ := app.DB.MemberTrustedDevices(context.Background(), app.Org.ID, app.Member.ID)
	_, body := app.Get(t, c, "/profile/security")
	if !strings.Contains(body, "Remembered browsers") || !strings.Contains(body, "Forget all browsers") {
		t.Fatalf("security page does not list browsers:\n%s", body)
	}
	resp, _ := app.Post(t, c, "/profile/security/devices/forget-all", nil)
	if resp.StatusCode != http.StatusOK || len(devices) == 0 {
		t.Fatalf("forget all: %d (%d devices before)", resp.StatusCode, len(devices))
	}
	app.Post(t, c, "/logout", nil)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
		t.Errorf("after forget: %s, want /login/mfa", loc)
	}
}

func TestRememberedBrowserIsBoundToItsMember(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email")
	app.AddMember(t, "bo@acme.test", func(m *store.Member) { m.EmailVerified = true })
	c := app.Browser(t)
	startSignIn(t, app, c, "ana@acme.test")
	app.Get(t, c, "/login/mfa")
	submitCode(t, app, c, "email", lastEmailCode(t, app, "ana@acme.test"), true)
	app.Post(t, c, "/logout", nil)
	if loc := startSignIn(t, app, c, "bo@acme.test"); loc != "/login/mfa" {
		t.Errorf("Ana's remembered browser let Bo skip MFA: %s", loc)
	}
}

var resetLink = regexp.MustCompile(`https?://[^\s<>"]+token=[^\s<>"]+`)

func TestPasswordResetNeverBypassesMFA(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email")
	c := app.Browser(t)
	app.Post(t, c, "/forgot-password", url.Values{"organisation": {"Acme"}, "email": {"ana@acme.test"}})
	mail, _ := app.DB.OrganisationMail(context.Background(), app.Org.ID, 5)
	if len(mail) == 0 || mail[0].Kind != "password-reset" {
		t.Fatalf("no reset email: %+v", mail)
	}
	u, err := url.Parse(resetLink.FindString(mail[0].Text))
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("reset link in %q", mail[0].Text)
	}
	const newPassword = "a brand new and long passphrase"
	resp, body := app.Post(t, c, u.Path, url.Values{"token": {u.Query().Get("token")}, "password": {newPassword}, "password_confirm": {newPassword}})
	if resp.StatusCode != http.StatusSeeOther || strings.HasPrefix(resp.Header.Get("Location"), "/dashboard") {
		t.Fatalf("reset: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode == http.StatusOK {
		t.Fatal("the reset signed the member in")
	}
	resp, _ = app.Post(t, c, "/login", url.Values{"organisation": {"Acme"}, "email": {"ana@acme.test"}, "password": {newPassword}})
	if resp.Header.Get("Location") != "/login/mfa" {
		t.Errorf("sign-in after a reset went to %s, want the MFA step", resp.Header.Get("Location"))
	}
}

func TestShorterRememberSettingAppliesToBrowsersAlreadyRemembered(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email")
	c := app.Browser(t)
	startSignIn(t, app, c, "ana@acme.test")
	_, body := app.Get(t, c, "/login/mfa")
	if !strings.Contains(body, `name="remember_device"`) || !strings.Contains(body, "for 30 days") {
		t.Fatal("no Remember me on the MFA step")
	}
	submitCode(t, app, c, "email", lastEmailCode(t, app, "ana@acme.test"), true)
	app.Post(t, c, "/logout", nil)
	p, _ := app.DB.MFAPolicy(context.Background(), app.Org.ID)
	p.TrustedDeviceDuration = 7 * 24 * time.Hour
	app.DB.SetMFAPolicy(context.Background(), app.Org.ID, p)
	app.Clock.Advance(8 * 24 * time.Hour)
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/login/mfa" {
		t.Errorf("day 8 with a 7-day setting: %s, want the MFA step", loc)
	}
	p.TrustedDeviceDuration = 0 // "Remember me" off
	app.DB.SetMFAPolicy(context.Background(), app.Org.ID, p)
	if _, body := app.Get(t, c, "/login/mfa"); strings.Contains(body, `name="remember_device"`) {
		t.Error("Remember me offered while the organisation turned it off")
	}
}
