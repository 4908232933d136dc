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
	"imslogin/internal/server/servertest"
)

func TestCodeAccepted(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	bo := unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the dashboard opened before the code: %d", resp.StatusCode)
	}
	resp, body := app.Get(t, c, "/login/verify-email")
	for _, want := range []string{"bo@acme.test", "junk or spam", `name="code"`, "Verify Email", "Resend Code", "Skip for now"} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("step page lacks %q (%d)", want, resp.StatusCode)
		}
	}
	if n := len(codes(t, app, "bo@acme.test")); n != 1 {
		t.Fatalf("%d codes emailed, want 1", n)
	}
	resp, body = submitCode(t, app, c, newestCode(t, app, "bo@acme.test"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("right code: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = app.Get(t, c, "/dashboard")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "not verified") {
		t.Errorf("dashboard after verifying: %d, banner shown: %v", resp.StatusCode, strings.Contains(body, "not verified"))
	}
	if !member(t, app, bo.ID).EmailVerified {
		t.Error("the email is not marked verified")
	}
	if got := auditDetails(t, app, audit.EmailVerify); !slices.Equal(got, []string{"verified at sign-in"}) {
		t.Errorf("audit: %q", got)
	}
	// Verified now: the next sign-in needs no code.
	app.SignIn(t, app.Browser(t), "bo@acme.test")
}

func TestWrongCodesCountAcrossResendsAndEndTheSignIn(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	org := app.Org
	org.Settings.LockoutThreshold = 10 // the flow's limit, not the lock, ends this sign-in
	if err := app.DB.UpdateOrganisation(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	bo := unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	first := newestCode(t, app, "bo@acme.test")
	for i, want := range []string{"4 attempts left", "3 attempts left"} {
		resp, body := submitCode(t, app, c, wrongCode(first))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Fatalf("wrong code %d: %d, want 422 and %q\n%s", i+1, resp.StatusCode, want, body)
		}
	}
	// Malformed input is explained, not counted.
	if resp, body := submitCode(t, app, c, "12ab"); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Enter the 6-digit code") {
		t.Errorf("malformed code: %d", resp.StatusCode)
	}
	app.Clock.Advance(time.Minute)
	resp, _ := app.Post(t, c, "/login/verify-email", url.Values{"action": {"resend"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/verify-email" {
		t.Fatalf("resend: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := app.Get(t, c, "/login/verify-email"); !strings.Contains(body, "Only this newest code works") {
		t.Error("no notice that a new code was sent")
	}
	second := newestCode(t, app, "bo@acme.test")
	if first != second {
		// The older code no longer works, and counts as a wrong one: the
		// resend did not reset the count.
		if resp, body := submitCode(t, app, c, first); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "2 attempts left") {
			t.Fatalf("older code after a resend: %d\n%s", resp.StatusCode, body)
		}
	} else {
		submitCode(t, app, c, wrongCode(second))
	}
	submitCode(t, app, c, wrongCode(second))
	resp, body := submitCode(t, app, c, wrongCode(second))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Your sign-in has ended") {
		t.Fatalf("fifth wrong code: %d, want 401 and the sign-in page\n%s", resp.StatusCode, body)
	}
	if resp, _ := submitCode(t, app, c, second); resp.StatusCode != http.StatusGone {
		t.Errorf("the right code after the sign-in ended: %d, want 410", resp.StatusCode)
	}
	if member(t, app, bo.ID).EmailVerified {
		t.Error("verified after the sign-in ended")
	}
	// Each wrong code counted toward the lockout; the malformed one did not.
	l, err := app.DB.SigninLockout(context.Background(), app.Org.ID, "bo@acme.test")
	if err != nil || l.Failures != 5 {
		t.Errorf("lockout count: %+v, %v; want the five wrong codes", l, err)
	}
	if got := auditDetails(t, app, audit.SigninFailure); !slices.Equal(got, slices.Repeat([]string{"wrong email code"}, 5)) {
		t.Errorf("audit: %q", got)
	}
}

// TestWrongCodesFeedTheLockout: a wrong code counts like a wrong password.
func TestWrongCodesFeedTheLockout(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	org := app.Org
	org.Settings.LockoutThreshold = 2
	if err := app.DB.UpdateOrganisation(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	// One wrong password, then a wrong code: two failures.
	app.Post(t, c, "/login", url.Values{"organisation": {"Acme"}, "email": {"bo@acme.test"}, "password": {"wrong password!"}})
	startSignIn(t, app, c, "bo@acme.test")
	resp, body := submitCode(t, app, c, wrongCode(newestCode(t, app, "bo@acme.test")))
	if resp.StatusCode != http.StatusLocked || !strings.Contains(body, "Account locked") {
		t.Fatalf("a wrong code at the threshold: %d, want 423 Account locked\n%s", resp.StatusCode, body)
	}
	resp, _ = app.Post(t, c, "/login", url.Values{"organisation": {"Acme"}, "email": {"bo@acme.test"}, "password": {servertest.Password}})
	if resp.StatusCode != http.StatusLocked {
		t.Errorf("the right password during the lock: %d, want 423", resp.StatusCode)
	}
}

func TestExpiredCode(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	bo := unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	code := newestCode(t, app, "bo@acme.test")
	app.Clock.Advance(10 * time.Minute)
	resp, body := submitCode(t, app, c, code)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "expired") {
		t.Fatalf("a code after 10 minutes: %d\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "Resend Code") || member(t, app, bo.ID).EmailVerified {
		t.Error("an expired code verified the email")
	}
	app.Post(t, c, "/login/verify-email", url.Values{"action": {"resend"}})
	if resp, _ := submitCode(t, app, c, newestCode(t, app, "bo@acme.test")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a fresh code after the expired one: %d", resp.StatusCode)
	}
}

func TestResendThrottled(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	app.Clock.Advance(15 * time.Second)
	resp, body := app.Post(t, c, "/login/verify-email", url.Values{"action": {"resend"}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "45" ||
		!strings.Contains(body, "wait 45 seconds") {
		t.Fatalf("resend after 15s: %d Retry-After %q, want 429 and a 45 second wait\n%s",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if n := len(codes(t, app, "bo@acme.test")); n != 1 {
		t.Errorf("%d codes emailed, want 1", n)
	}
	app.Clock.Advance(45 * time.Second)
	if resp, _ := app.Post(t, c, "/login/verify-email", url.Values{"action": {"resend"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("resend after the wait: %d", resp.StatusCode)
	}
	if n := len(codes(t, app, "bo@acme.test")); n != 2 {
		t.Errorf("%d codes emailed, want 2", n)
	}
}

func TestSkipForNow(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	bo := unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	resp, _ := app.Post(t, c, "/login/verify-email", url.Values{"action": {"skip"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("skip: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := app.Get(t, c, "/dashboard")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "not verified") || !strings.Contains(body, `href="/profile/email"`) {
		t.Errorf("dashboard after skipping: %d, want the banner pointing to My Profile\n%s", resp.StatusCode, body)
	}
	if member(t, app, bo.ID).EmailVerified {
		t.Error("skipping verified the email")
	}
	if got := auditDetails(t, app, audit.EmailVerify); !slices.Equal(got, []string{"skipped at sign-in (Skip for now)"}) {
		t.Errorf("audit: %q", got)
	}
}

func TestNotRequiredByTheOrganisation(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	org := app.Org
	org.Settings.RequireVerifiedEmail = false
	if err := app.DB.UpdateOrganisation(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	unverified(t, app, "bo@acme.test")
	app.SignIn(t, app.Browser(t), "bo@acme.test")
	if n := len(codes(t, app, "bo@acme.test")); n != 0 {
		t.Errorf("%d codes emailed, want none", n)
	}
}

func TestStepNeedsItsFlow(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	unverified(t, app, "bo@acme.test")
	startSignIn(t, app, app.Browser(t), "bo@acme.test")
	code := newestCode(t, app, "bo@acme.test")
	// Another browser, with the code but not the sign-in, gets nowhere.
	other := app.Browser(t)
	if resp, _ := submitCode(t, app, other, code); resp.StatusCode != http.StatusGone {
		t.Errorf("a code without its sign-in: %d, want 410", resp.StatusCode)
	}
	if m, _ := app.DB.MemberByEmail(context.Background(), app.Org.ID, "bo@acme.test"); m.EmailVerified {
		t.Error("verified without the sign-in")
	}
}

// TestDoubleClickOnVerifyEmail: the second click never says the code is
// wrong or gone. It goes on to the Dashboard too, or, when the first has
// already finished the sign-in, finds the sign-in completed.
func TestDoubleClickOnVerifyEmail(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	unverified(t, app, "bo@acme.test")
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	code := newestCode(t, app, "bo@acme.test")
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 2)
	for range 2 {
		go func() {
			resp, _, err := app.TryPost(c, "/login/verify-email", url.Values{"action": {"verify"}, "code": {code}})
			done <- answer{resp, err}
		}()
	}
	toDashboard := 0
	for range 2 {
		a := <-done
		if a.err != nil {
			t.Errorf("a click: %v", a.err)
			continue
		}
		resp := a.resp
		switch {
		case resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/dashboard":
			toDashboard++
		case resp.StatusCode != http.StatusGone:
			t.Errorf("a click got %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if toDashboard == 0 {
		t.Error("no click reached the Dashboard")
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusOK {
		t.Errorf("dashboard after a double click: %d", resp.StatusCode)
	}
}
