package emailverify_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
)

// TestTeamMembersCheckMark: the green check mark appears in Team Members
// as soon as the member's code is accepted.
func TestTeamMembersCheckMark(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	unverified(t, app, "bo@acme.test")
	admin := app.Browser(t)
	app.SignIn(t, admin, "ana@acme.test")
	checked := func() bool {
		resp, body := app.Get(t, admin, "/admin/members?q=bo")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "bo@acme.test") {
			t.Fatalf("Team Members: %d\n%s", resp.StatusCode, body)
		}
		return strings.Contains(body, `bo@acme.test <span class="verified"`)
	}
	if checked() {
		t.Fatal("check mark before verifying")
	}
	c := app.Browser(t)
	startSignIn(t, app, c, "bo@acme.test")
	submitCode(t, app, c, newestCode(t, app, "bo@acme.test"))
	if !checked() {
		t.Error("no check mark after verifying")
	}
}

// TestDetailsSettingTurnsTheStepOff: Admin Settings → Details has the
// setting, on by default; turned off, unverified members sign in directly.
func TestDetailsSettingTurnsTheStepOff(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	unverified(t, app, "bo@acme.test")
	admin := app.Browser(t)
	app.SignIn(t, admin, "ana@acme.test")
	_, body := app.Get(t, admin, "/admin/settings")
	if !strings.Contains(body, `id="require_verified_email" type="checkbox" name="require_verified_email" value="on" checked`) {
		t.Fatalf("the setting is not shown on by default:\n%s", body)
	}
	form := url.Values{"name": {"Acme"}, "sign_in_url": {""}, "password_min_length": {"15"}, "lockout_threshold": {"5"},
		"lockout_minutes": {"15"}, "session_idle_minutes": {"120"}, "session_absolute_hours": {"12"},
		"remember_me_idle_days": {"7"}, "remember_me_days": {"30"}, "registration_hours": {"168"},
		"unlinked_removal_days": {"30"}, "notify_member_lockout": {"on"}, "notify_password_change": {"on"}}
	if resp, body := app.Post(t, admin, "/admin/settings", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save settings: %d\n%s", resp.StatusCode, body)
	}
	if got := auditDetails(t, app, "settings-change"); len(got) != 1 || got[0] != "changed email verification" {
		t.Errorf("audit: %q", got)
	}
	app.SignIn(t, app.Browser(t), "bo@acme.test")
	form.Set("require_verified_email", "on")
	app.Post(t, admin, "/admin/settings", form)
	startSignIn(t, app, app.Browser(t), "bo@acme.test")
}
