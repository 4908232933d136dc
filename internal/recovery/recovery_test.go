package recovery_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
)

func TestInvitationVerifiesEmailSetsPasswordAndSignsIn(t *testing.T) {
	e := newEnv(t)
	invited := e.addMember("new@acme.test", "")
	if invited.Status != "invited" {
		t.Fatalf("member added without a password is %s, want invited", invited.Status)
	}
	msgs := e.deliver("new@acme.test")
	if len(msgs) != 1 || msgs[0].Subject != "You're invited to Acme Research on IMS Login" {
		t.Fatalf("invitation messages: %+v", msgs)
	}
	link := e.linkIn(msgs[0])
	if !strings.HasPrefix(link, e.url+"/invitation?token=") {
		t.Errorf("invitation link %s", link)
	}
	b := e.browser()
	form := b.get(link)
	if form.status != http.StatusOK || !strings.Contains(form.body, `name="password"`) || !strings.Contains(form.body, `name="password_confirm"`) {
		t.Fatalf("invitation page: %d\n%s", form.status, form.body)
	}
	weak := b.setPassword(link, "password", "password")
	if weak.status != http.StatusBadRequest || !strings.Contains(weak.body, "at least 15 characters") ||
		!strings.Contains(weak.body, "too common") || !strings.Contains(weak.body, "Strength:") {
		t.Errorf("weak password: %d\n%s", weak.status, weak.body)
	}
	done := b.setPassword(link, newPassword, newPassword)
	if done.status != http.StatusSeeOther || done.location != "/dashboard" {
		t.Fatalf("setting the password: %d %s\n%s", done.status, done.location, done.body)
	}
	if dash := b.get("/dashboard"); dash.status != http.StatusOK || !strings.Contains(dash.body, "password is set") {
		t.Errorf("dashboard after the invitation: %d\n%s", dash.status, dash.body)
	}
	again := e.browser().setPassword(link, "another long password 123", "another long password 123")
	if again.status != http.StatusGone || !strings.Contains(again.body, "already used") {
		t.Errorf("second use of the invitation: %d", again.status)
	}
}

func TestForgotPasswordResetEndsSessionsAndSendsNotice(t *testing.T) {
	e := newEnv(t)
	other := e.browser()
	if p := other.signIn(oldPassword); p.status != http.StatusSeeOther || !other.signedIn() {
		t.Fatalf("sign in: %d %s", p.status, p.location)
	}
	b := e.browser()
	if p := b.get("/forgot-password"); p.status != http.StatusOK || !strings.Contains(p.body, "Send Verification Email") {
		t.Fatalf("forgot password page: %d", p.status)
	}
	p := b.post("/forgot-password", url.Values{"organisation": {"acme RESEARCH"}, "email": {" Ana@Acme.test "}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "verification email is on its way") {
		t.Fatalf("request: %d\n%s", p.status, p.body)
	}
	msgs := e.deliver(memberEmail)
	if len(msgs) != 1 || msgs[0].Subject != "Reset your IMS Login password for Acme Research" {
		t.Fatalf("reset messages: %+v", msgs)
	}
	link := e.linkIn(msgs[0])
	if p := b.get(link); p.status != http.StatusOK || !strings.Contains(p.body, `name="password_confirm"`) {
		t.Fatalf("reset form: %d", p.status)
	}
	mismatch := b.setPassword(link, newPassword, newPassword+"!")
	if mismatch.status != http.StatusBadRequest || !strings.Contains(mismatch.body, "do not match") {
		t.Errorf("mismatched confirmation: %d", mismatch.status)
	}
	done := b.setPassword(link, newPassword, newPassword)
	if done.status != http.StatusSeeOther || !strings.HasPrefix(done.location, "/login?organisation=") {
		t.Fatalf("reset: %d %s\n%s", done.status, done.location, done.body)
	}
	if other.signedIn() {
		t.Error("another session survived the reset")
	}
	notices := e.deliver(memberEmail)
	if len(notices) != 2 || !strings.Contains(notices[1].Subject, "was changed") || !strings.Contains(notices[1].Text, "reset") {
		t.Errorf("notice after the reset: %+v", notices)
	}
	if p := e.browser().signIn(oldPassword); p.status != http.StatusUnauthorized {
		t.Errorf("old password after the reset: %d", p.status)
	}
	fresh := e.browser()
	if p := fresh.signIn(newPassword); p.status != http.StatusSeeOther || !fresh.signedIn() {
		t.Errorf("new password after the reset: %d", p.status)
	}
}

func TestForgotPasswordSaysTheSameWhetherOrNotTheAccountExists(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	answer := func(org, email string) string {
		started := time.Now()
		p := b.post("/forgot-password", url.Values{"organisation": {org}, "email": {email}})
		if took := time.Since(started); took < 250*time.Millisecond {
			t.Errorf("%s/%s answered in %v: every answer takes at least 250 ms, so timing reveals nothing", org, email, took)
		}
		if p.status != http.StatusOK {
			t.Fatalf("%s/%s: status %d", org, email, p.status)
		}
		body := strings.ReplaceAll(p.body, org, "ORG")
		return strings.ReplaceAll(body, strings.ReplaceAll(org, " ", "%20"), "ORG") // in the "Back to sign in" link
	}
	known := answer(orgName, memberEmail)
	if unknownEmail := answer(orgName, "nobody@acme.test"); strings.ReplaceAll(unknownEmail, "nobody@acme.test", memberEmail) != known {
		t.Error("the answer for an unknown email differs from a known one")
	}
	if unknownOrg := answer("No Such Org", memberEmail); unknownOrg != known {
		t.Error("the answer for an unknown organisation differs from a known one")
	}
	if got := len(e.deliver(memberEmail)) + len(e.deliver("nobody@acme.test")); got != 1 {
		t.Errorf("%d messages sent, want 1 (for the existing account only)", got)
	}
}

func TestForgotPasswordOnAnotherHostSendsNothing(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	form := url.Values{"organisation": {orgName}, "email": {memberEmail}}
	evil := b.postHost("/forgot-password", "evil.example", form)
	honest := b.post("/forgot-password", form)
	if evil.status != http.StatusOK || evil.body != honest.body {
		t.Errorf("the answer on another host differs: %d", evil.status)
	}
	msgs := e.deliver(memberEmail)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1 (from the request on the official address)", len(msgs))
	}
	for _, m := range e.smtp.Messages() {
		if strings.Contains(m.Text, "evil.example") || strings.Contains(m.HTML, "evil.example") {
			t.Errorf("a message points at the forged host: %s", m.Text)
		}
	}
	e.linkIn(msgs[0]) // on the configured address
}

func TestResetLinksThatNoLongerWork(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	request := func() string {
		b.post("/forgot-password", url.Values{"organisation": {orgName}, "email": {memberEmail}})
		msgs := e.deliver(memberEmail)
		return e.linkIn(msgs[len(msgs)-1])
	}
	first := request()
	b.post("/forgot-password", url.Values{"organisation": {orgName}, "email": {memberEmail}})
	if got := len(e.deliver(memberEmail)); got != 1 {
		t.Errorf("a second request within a minute sent mail: %d messages, want 1", got)
	}
	e.clk.Advance(2 * time.Minute)
	second := request()
	if p := b.get(first); p.status != http.StatusGone || !strings.Contains(p.body, "newer email") {
		t.Errorf("link voided by a newer one: %d", p.status)
	}
	tampered := second[:len(second)-3] + "AAA"
	if p := b.get(tampered); p.status != http.StatusNotFound || !strings.Contains(p.body, "not valid") {
		t.Errorf("tampered link: %d", p.status)
	}
	if p := b.get(e.url + "/reset-password?token=short"); p.status != http.StatusNotFound {
		t.Errorf("malformed token: %d", p.status)
	}
	e.clk.Advance(61 * time.Minute)
	if p := b.setPassword(second, newPassword, newPassword); p.status != http.StatusGone || !strings.Contains(p.body, "expired") {
		t.Errorf("expired link: %d", p.status)
	}
	if p := e.browser().signIn(oldPassword); p.status != http.StatusSeeOther {
		t.Errorf("the password changed through a dead link: %d", p.status)
	}
	invitationLink := strings.Replace(request(), "/reset-password", "/invitation", 1)
	if p := b.get(invitationLink); p.status != http.StatusNotFound {
		t.Errorf("a reset link opened the invitation page: %d", p.status)
	}
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	laptop, phone := e.browser(), e.browser()
	laptop.signIn(oldPassword)
	phone.signIn(oldPassword)
	if !laptop.signedIn() || !phone.signedIn() {
		t.Fatal("sign in failed")
	}
	if p := laptop.get("/profile/password"); p.status != http.StatusOK || !strings.Contains(p.body, `name="current_password"`) {
		t.Fatalf("change password page: %d", p.status)
	}
	change := func(current, pw, confirm string) page {
		return laptop.post("/profile/password", url.Values{"current_password": {current}, "password": {pw}, "password_confirm": {confirm}})
	}
	if p := change("wrong password here", newPassword, newPassword); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, "current password is not correct") {
		t.Errorf("wrong current password: %d", p.status)
	}
	if p := change(oldPassword, "acme research rocks!", "acme research rocks!"); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, "organisation name") {
		t.Errorf("password with the organisation name: %d", p.status)
	}
	if !phone.signedIn() {
		t.Fatal("a rejected change ended a session")
	}
	if p := change(oldPassword, newPassword, newPassword); p.status != http.StatusSeeOther || p.location != "/dashboard" {
		t.Fatalf("change: %d %s\n%s", p.status, p.location, p.body)
	}
	if !laptop.signedIn() {
		t.Error("the browser that changed the password was signed out")
	}
	if phone.signedIn() {
		t.Error("another session survived the change")
	}
	msgs := e.deliver(memberEmail)
	if len(msgs) != 1 || msgs[0].Subject != "Your IMS Login password for Acme Research was changed" {
		t.Errorf("notice: %+v", msgs)
	}
	if p := e.browser().signIn(newPassword); p.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password: %d", p.status)
	}
	if p := e.browser().get("/profile/password"); p.status != http.StatusSeeOther {
		t.Errorf("change password page without a session: %d", p.status)
	}
}

func TestStrengthEndpoint(t *testing.T) {
	e := newEnv(t)
	p := e.browser().post("/password/strength", url.Values{"password": {"iloveyou"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `"score":0`) || !strings.Contains(p.body, "too common") {
		t.Errorf("strength of a common password: %d %s", p.status, p.body)
	}
	p = e.browser().post("/password/strength", url.Values{"password": {"violet mango tractor glacier 47"}})
	if !strings.Contains(p.body, `"score":4`) && !strings.Contains(p.body, `"score":3`) {
		t.Errorf("strength of a passphrase: %s", p.body)
	}
}

// TestInvitationGoesThroughTheSecondFactor: in an organisation that
// requires a second factor, setting the password from the invitation leads
// to the authenticator-app set-up, and no session starts before it.
func TestInvitationGoesThroughTheSecondFactor(t *testing.T) {
	e := newEnv(t)
	policy := store.DefaultMFAPolicy()
	policy.Required, policy.Methods = true, []string{"totp"}
	if err := e.db.SetMFAPolicy(context.Background(), e.org.ID, policy); err != nil {
		t.Fatal(err)
	}
	e.addMember("new@acme.test", "")
	link := e.linkIn(e.deliver("new@acme.test")[0])
	b := e.browser()
	done := b.setPassword(link, newPassword, newPassword)
	if done.status != http.StatusSeeOther || done.location != "/login/mfa" {
		t.Fatalf("setting the password: %d %s, want the MFA step", done.status, done.location)
	}
	if b.signedIn() {
		t.Error("signed in before the second factor")
	}
	if step := b.get("/login/mfa"); step.status != http.StatusOK || !strings.Contains(step.body, `value="totp-setup"`) {
		t.Errorf("MFA step: %d\n%s", step.status, step.body)
	}
}

// inputTag is the <input> with id in body, or "".
func inputTag(body, id string) string {
	return regexp.MustCompile(`<input id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
}

// fieldError is the message the page shows beside field id, or "".
func fieldError(body, id string) string {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestResetPasswordProblemsShowBesideTheirFields(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.post("/forgot-password", url.Values{"organisation": {"acme research"}, "email": {memberEmail}})
	msgs := e.deliver(memberEmail)
	if len(msgs) != 1 {
		t.Fatalf("reset messages: %+v", msgs)
	}
	p := b.setPassword(e.linkIn(msgs[0]), "short", "shorter")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Check the fields marked below.") {
		t.Fatalf("refused password: %d\n%s", p.status, p.body)
	}
	if got := fieldError(p.body, "password"); !strings.HasPrefix(got, "Use at least ") || !strings.HasSuffix(got, ".") {
		t.Errorf("new password's message: %q", got)
	}
	if got := fieldError(p.body, "password_confirm"); got != "The two passwords do not match." {
		t.Errorf("confirmation's message: %q", got)
	}
	for id, describedBy := range map[string]string{"password": "password-error password-hint strength", "password_confirm": "password_confirm-error"} {
		if tag := inputTag(p.body, id); !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, `aria-describedby="`+describedBy+`"`) {
			t.Errorf("%s is not marked as refused: %s", id, tag)
		}
	}
	if strings.Contains(p.body, "<li>do not") || strings.Contains(p.body, "<li>the two") {
		t.Error("the problems are still listed in the notice")
	}
}

func TestChangePasswordProblemsShowBesideTheirFields(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(oldPassword)
	p := b.post("/profile/password", url.Values{"current_password": {"wrong password here"}, "password": {newPassword}, "password_confirm": {newPassword + "!"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Your password was not changed. Check the fields marked below.") {
		t.Fatalf("refused change: %d\n%s", p.status, p.body)
	}
	if got := fieldError(p.body, "current_password"); got != "Your current password is not correct." {
		t.Errorf("current password's message: %q", got)
	}
	if got := fieldError(p.body, "password_confirm"); got != "The two passwords do not match." {
		t.Errorf("confirmation's message: %q", got)
	}
	if tag := inputTag(p.body, "current_password"); !strings.Contains(tag, `aria-invalid="true" aria-describedby="current_password-error"`) {
		t.Errorf("current password is not marked as refused: %s", tag)
	}
	if tag := inputTag(p.body, "password"); strings.Contains(tag, "aria-invalid") || fieldError(p.body, "password") != "" {
		t.Errorf("an acceptable new password is marked as refused: %s", tag)
	}
}
