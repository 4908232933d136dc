package signin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"imslogin/internal/config"
	"imslogin/internal/password"
	"imslogin/internal/server"
	"imslogin/internal/server/servertest"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/web"
)

func form(org, email, password string) url.Values {
	return url.Values{"organisation": {org}, "email": {email}, "password": {password}}
}

func sessionCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignInLandsOnDashboardWithNotice(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	resp, _ := app.Post(t, c, "/login", form("  aCmE ", "ANA@acme.test ", servertest.Password))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("got %d to %q, want 303 to /dashboard", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookie := sessionCookie(resp, "ims_session")
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || len(cookie.Value) < 43 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, 256-bit value", cookie)
	}
	if !cookie.Expires.IsZero() || cookie.MaxAge != 0 {
		t.Errorf("without Keep me signed in the cookie must end with the browser: %+v", cookie)
	}
	_, body := app.Get(t, c, "/dashboard")
	for _, want := range []string{"You have signed in successfully.", "Welcome, Ana Lima", "Sign out"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	_, body = app.Get(t, c, "/dashboard")
	if strings.Contains(body, "You have signed in successfully.") {
		t.Error("the sign-in notice shows again on the next page")
	}
	// The last sign-in is written with the next batch (every second, by
	// the running server).
	if err := app.Server.LastSignIns.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m, _ := app.DB.MemberByID(context.Background(), app.Org.ID, app.Member.ID); m.LastSignInAt.IsZero() {
		t.Error("last sign-in not recorded")
	}
}

// noticeOf extracts the notice block so answers can be compared whole.
func noticeOf(body string) string {
	return regexp.MustCompile(`(?s)<div class="notice.*?</div>`).FindString(body)
}

func TestFailureNeverSaysWhichFieldWasWrong(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "invited@acme.test", func(m *store.Member) { m.Status, m.PasswordHash = store.StatusInvited, "" })
	cases := map[string]url.Values{
		"unknown organisation": form("Nope", "ana@acme.test", servertest.Password),
		"unknown email":        form("Acme", "nobody@acme.test", servertest.Password),
		"wrong password":       form("Acme", "ana@acme.test", "correct horse battery stapl"),
		"password case":        form("Acme", "ana@acme.test", strings.ToUpper(servertest.Password)),
		"invited, no password": form("Acme", "invited@acme.test", ""+servertest.Password),
	}
	var first string
	for name, f := range cases {
		resp, body := app.Post(t, app.Browser(t), "/login", f)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
		if sessionCookie(resp, "ims_session") != nil {
			t.Errorf("%s: a session cookie was set", name)
		}
		notice := noticeOf(body)
		if !strings.Contains(notice, "misspelt") || !strings.Contains(notice, "no licence") {
			t.Errorf("%s: notice does not list the usual causes: %s", name, notice)
		}
		if first == "" {
			first = notice
		} else if notice != first {
			t.Errorf("%s: notice differs from another failure's:\n%s\n%s", name, notice, first)
		}
		if !strings.Contains(body, `value="`+f.Get("organisation")+`"`) {
			t.Errorf("%s: the organisation typed is not kept in the form", name)
		}
	}
}

func TestSpecificRefusalOnlyAfterCorrectPassword(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.AddMember(t, "off@acme.test", func(m *store.Member) { m.Status = store.StatusDisabled })
	app.AddMember(t, "nolicence@acme.test", func(m *store.Member) { m.Licensed = false })
	for email, want := range map[string]string{"off@acme.test": "disabled", "nolicence@acme.test": "No licence"} {
		resp, body := app.Post(t, app.Browser(t), "/login", form("Acme", email, "wrong password, long enough"))
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, want) {
			t.Errorf("%s with a wrong password: %d, says %q: must be the generic failure", email, resp.StatusCode, want)
		}
		resp, body = app.Post(t, app.Browser(t), "/login", form("Acme", email, servertest.Password))
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(noticeOf(body), want) {
			t.Errorf("%s with the right password: %d, want 403 saying %q:\n%s", email, resp.StatusCode, want, noticeOf(body))
		}
		if sessionCookie(resp, "ims_session") != nil {
			t.Errorf("%s: a session cookie was set", email)
		}
	}
}

func TestMissingFieldsAskForAll(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	resp, body := app.Post(t, app.Browser(t), "/login", form("Acme", "", ""))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Enter your organisation name, email address and password.") {
		t.Errorf("got %d:\n%s", resp.StatusCode, noticeOf(body))
	}
}

func TestSignInRotatesSessionAndSignOutEndsIt(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	first := cookieValue(c, app.URL)
	app.SignIn(t, c, "ana@acme.test")
	second := cookieValue(c, app.URL)
	if first == second {
		t.Fatal("signing in again kept the session identifier")
	}
	if resp, _ := getWithCookie(t, app, first); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the replaced session still works: %d", resp.StatusCode)
	}
	resp, _ := app.Post(t, c, "/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = getWithCookie(t, app, second)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("a copied cookie still works after sign-out: %d", resp.StatusCode)
	}
	_, body := app.Get(t, c, "/login")
	if !strings.Contains(body, "You have signed out.") {
		t.Error("the sign-in page does not confirm the sign-out")
	}
}

func cookieValue(c *http.Client, base string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "ims_session" {
			return ck.Value
		}
	}
	return ""
}

func getWithCookie(t *testing.T, app *servertest.App, value string) (*http.Response, string) {
	t.Helper()
	jarless := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/dashboard", nil)
	req.AddCookie(&http.Cookie{Name: "ims_session", Value: value})
	resp, err := jarless.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp, ""
}

func TestReturnToStaysOnThisSite(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	for returnTo, want := range map[string]string{
		"https://evil.example":    "/dashboard",
		"//evil.example/x":        "/dashboard",
		`/\evil.example`:          "/dashboard",
		"javascript:alert(1)":     "/dashboard",
		"/dashboard?tab=sessions": "/dashboard?tab=sessions",
	} {
		f := form("Acme", "ana@acme.test", servertest.Password)
		f.Set("return_to", returnTo)
		resp, _ := app.Post(t, app.Browser(t), "/login", f)
		if got := resp.Header.Get("Location"); got != want {
			t.Errorf("return_to %q: redirected to %q, want %q", returnTo, got, want)
		}
	}
	// A signed-out visit to a page comes back to it after sign-in.
	resp, _ := app.Get(t, app.Browser(t), "/dashboard")
	if got := resp.Header.Get("Location"); got != "/login?return_to=%2Fdashboard" {
		t.Errorf("signed-out dashboard redirects to %q", got)
	}
}

func TestSafeReturnPath(t *testing.T) {
	for p, want := range map[string]string{"": "", "/": "/", "/a/b?c=d": "/a/b?c=d", "//x": "", "/\\x": "",
		"http://x/": "", "/a\r\nSet-Cookie: x": "", "x": ""} {
		if got := signin.SafeReturnPath(p); got != want {
			t.Errorf("SafeReturnPath(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestKeepMeSignedInMakesCookiePersistent(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	f := form("Acme", "ana@acme.test", servertest.Password)
	f.Set("remember_me", "on")
	resp, _ := app.Post(t, app.Browser(t), "/login", f)
	c := sessionCookie(resp, "ims_session")
	if c == nil || c.MaxAge != int((30*24*time.Hour)/time.Second) {
		t.Fatalf("cookie %+v: want Max-Age of 30 days", c)
	}
}

// TestHTTPSPublicURLUsesHostPrefixedSecureCookie: behind an https public
// URL every cookie a sign-in sets is a __Host- cookie (Secure, path /).
func TestHTTPSPublicURLUsesHostPrefixedSecureCookie(t *testing.T) {
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) { c.PublicURL = "https://login.example.test" }})
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/login", strings.NewReader(form("Acme", "ana@acme.test", servertest.Password).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := app.Browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := sessionCookie(resp, "__Host-ims_session")
	if c == nil || !c.Secure || c.Path != "/" || c.Domain != "" {
		t.Fatalf("cookies %v: want __Host-ims_session, Secure, Path=/", resp.Cookies())
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header behind an https public URL")
	}
	if f := sessionCookie(resp, "__Host-ims_flash"); f == nil || !f.Secure || !f.HttpOnly {
		t.Errorf("flash cookie %+v: want __Host-ims_flash, Secure and HttpOnly behind an https public URL", f)
	}
	for _, c := range resp.Cookies() {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %s (Secure %v, path %q, domain %q): want every cookie __Host-, Secure, path /", c.Name, c.Secure, c.Path, c.Domain)
		}
	}
}

func TestIdleAndAbsoluteTimeoutsEndSessions(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	idle, absolute := app.Org.Settings.SessionLimits(false)

	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	app.Clock.Advance(idle + time.Second)
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the idle timeout: %d, want a redirect to sign in", resp.StatusCode)
	}

	c = app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	for elapsed := time.Duration(0); elapsed < absolute-idle/2; elapsed += idle / 2 {
		app.Clock.Advance(idle / 2)
		if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusOK {
			t.Fatalf("an active session ended after %v: %d", elapsed, resp.StatusCode)
		}
	}
	app.Clock.Advance(idle / 2)
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the absolute timeout: %d, want a redirect to sign in", resp.StatusCode)
	}
}

func TestDisablingMemberEndsTheirSession(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	m := app.AddMember(t, "bo@acme.test", nil)
	c := app.Browser(t)
	app.SignIn(t, c, m.Email)
	if err := app.DB.SetMemberStatus(context.Background(), app.Org.ID, m.ID, store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a disabled member's session still works: %d", resp.StatusCode)
	}
}

// fakeStep asks for the code "123456", standing in for later steps.
type fakeStep struct{}

func (fakeStep) Name() string { return "fake-code" }
func (fakeStep) Needed(context.Context, *signin.Flow, signin.Input) (bool, error) {
	return true, nil
}
func (fakeStep) Show(_ context.Context, f *signin.Flow, _ signin.Input) (signin.Outcome, error) {
	return signin.Show(http.StatusOK, fakePage(f, fmt.Sprintf("enter the code, attempts %d", f.Attempts))), nil
}
func (fakeStep) Guess(signin.Input) bool { return true }
func (fakeStep) Submit(_ context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	if in.Form.Get("code") == "123456" {
		return signin.Passed(), nil
	}
	return signin.Wrong("wrong fake code", http.StatusUnprocessableEntity, fakePage(f, fmt.Sprintf("wrong code, attempts %d", f.Attempts))), nil
}

func fakePage(f *signin.Flow, text string) web.VerifyEmailPage {
	return web.VerifyEmailPage{Layout: web.Layout{Notice: web.Notice{Kind: "info", Text: text}}, Email: f.Member.Email}
}

func TestLaterStepsPlugIntoTheFlow(t *testing.T) {
	app := servertest.New(t, servertest.Options{Server: server.Options{Steps: []signin.Step{fakeStep{}}}})
	c := app.Browser(t)
	f := form("Acme", "ana@acme.test", servertest.Password)
	f.Set("return_to", "/dashboard?from=step")
	resp, _ := app.Post(t, c, "/login", f)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/fake-code" {
		t.Fatalf("after the password: %d %q, want the next step", resp.StatusCode, resp.Header.Get("Location"))
	}
	if sessionCookie(resp, "ims_session") != nil {
		t.Fatal("a session started before the step was passed")
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("the dashboard opened before the step was passed")
	}
	if _, body := app.Get(t, c, "/login/fake-code"); !strings.Contains(body, "ana@acme.test") {
		t.Errorf("step page: %s", body)
	}
	app.Post(t, c, "/login/fake-code", url.Values{"code": {"000000"}})
	resp, body := app.Post(t, c, "/login/fake-code", url.Values{"code": {"111111"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "attempts 2") {
		t.Errorf("wrong codes are not counted across requests: %d %s", resp.StatusCode, body)
	}
	resp, _ = app.Post(t, c, "/login/fake-code", url.Values{"code": {"123456"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard?from=step" {
		t.Fatalf("after the step: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusOK {
		t.Errorf("dashboard after the step: %d", resp.StatusCode)
	}
	if resp, _ := app.Post(t, c, "/login/fake-code", url.Values{"code": {"123456"}}); resp.StatusCode != http.StatusGone {
		t.Errorf("a finished flow was accepted again: %d", resp.StatusCode)
	}
}

// TestDoubleSubmitDoesNoHarm sends the form twice at once, as a double
// click does: both answers sign the browser in and the member keeps working.
func TestDoubleSubmitDoesNoHarm(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 2)
	for range 2 {
		go func() {
			resp, _, err := app.TryPost(c, "/login", form("Acme", "ana@acme.test", servertest.Password))
			done <- answer{resp, err}
		}()
	}
	for range 2 {
		if a := <-done; a.err != nil {
			t.Errorf("a submission: %v", a.err)
		} else if a.resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a submission got %d, want 303", a.resp.StatusCode)
		}
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusOK {
		t.Errorf("after a double submit the dashboard answers %d", resp.StatusCode)
	}
}

// TestBusyHasherAnswers503 floods a one-slot pool that lets nobody wait:
// the sign-ins that find the slot taken get 503 with Retry-After, at once.
// Every attempt in flight is counted until its password is checked, so the
// lockout threshold is raised above the flood: it is not under test here.
func TestBusyHasherAnswers503(t *testing.T) {
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) {
		c.HashWorkers, c.HashQueueTimeout, c.Argon2Time = 1, time.Nanosecond, 4
	}})
	org := app.Org
	org.Settings.LockoutThreshold = 100
	if err := app.DB.UpdateOrganisation(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	const n = 24
	type answer struct {
		code       int
		retryAfter string
		err        error
	}
	answers := make(chan answer, n)
	for range n {
		c := app.Browser(t)
		go func() {
			resp, _, err := app.TryPost(c, "/login", form("Acme", "ana@acme.test", servertest.Password))
			if err != nil {
				answers <- answer{err: err}
				return
			}
			answers <- answer{resp.StatusCode, resp.Header.Get("Retry-After"), nil}
		}()
	}
	busy := 0
	for range n {
		a := <-answers
		if a.err != nil {
			t.Errorf("a sign-in: %v", a.err)
			continue
		}
		switch a.code {
		case http.StatusSeeOther:
		case http.StatusServiceUnavailable:
			busy++
			if a.retryAfter == "" {
				t.Error("503 without Retry-After")
			}
		default:
			t.Errorf("unexpected status %d", a.code)
		}
	}
	if busy == 0 {
		t.Errorf("%d concurrent sign-ins on one slot: none was turned away", n)
	}
	// The turned-away attempts were given back: nothing stays counted.
	if l, err := app.DB.SigninLockout(context.Background(), app.Org.ID, "ana@acme.test"); err == nil && l.Failures != 0 {
		t.Errorf("after the flood of right passwords: %+v still counted", l)
	}
}

// TestDatabaseFailureIsNotAWrongPassword: when the password step cannot
// read the organisation and member, the member is told the problem is on
// our side, not that their password is wrong, and no hash is spent.
func TestDatabaseFailureIsNotAWrongPassword(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.DB.Close()
	before := app.Server.Hasher.Computed()
	resp, body := app.Post(t, c, "/login", form("Acme", "ana@acme.test", servertest.Password))
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "Something went wrong") {
		t.Fatalf("sign-in with the database closed: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "Check your organisation name") || sessionCookie(resp, "ims_session") != nil {
		t.Errorf("a database failure answered as a wrong password or with a session:\n%s", body)
	}
	if n := app.Server.Hasher.Computed() - before; n != 0 {
		t.Errorf("%d hashes computed for a sign-in whose read failed, want 0", n)
	}
}

// After the hashing parameters are raised, a member whose stored hash was
// made with the old, cheaper ones must cost a wrong password what an
// unknown email or organisation costs: argon2 work is counted per answer.
func TestOldHashParametersDoNotMakeMembersCheaper(t *testing.T) {
	app := servertest.New(t, servertest.Options{Config: func(c *config.Config) { c.Argon2Time = 3 }})
	old, err := password.NewHasher(password.Params{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}, 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	oldHash, _ := old.Hash(context.Background(), servertest.Password)
	app.AddMember(t, "old@acme.test", func(m *store.Member) { m.PasswordHash = oldHash })
	work := func(f url.Values) int64 {
		before := app.Server.Hasher.Work()
		if resp, _ := app.Post(t, app.Browser(t), "/login", f); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%v: status %d, want 401", f, resp.StatusCode)
		}
		return app.Server.Hasher.Work() - before
	}
	wrong := "not the password at all"
	known := work(form("Acme", "old@acme.test", wrong))
	for name, f := range map[string]url.Values{
		"current hash":         form("Acme", "ana@acme.test", wrong),
		"unknown email":        form("Acme", "nobody@acme.test", wrong),
		"unknown organisation": form("Nope", "old@acme.test", wrong),
	} {
		if got := work(f); got != known {
			t.Errorf("%s: %d blocks of argon2 work, a member with an old hash %d", name, got, known)
		}
	}
}

// TestPasswordsDoNotExpire: a password set long ago still signs in, with
// no prompt to change it; it ends only when the member changes it.
func TestPasswordsDoNotExpire(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	app.Clock.Advance(3 * 365 * 24 * time.Hour)
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test") // straight to the Dashboard
	if resp, body := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusOK || strings.Contains(body, "expired") {
		t.Errorf("a three-year-old password: dashboard %d", resp.StatusCode)
	}
}
