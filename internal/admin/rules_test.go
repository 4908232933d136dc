package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

func TestLicenceLimit(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	if err := app.DB.SetLicences(ctx, app.Org.ID, 2); err != nil {
		t.Fatal(err)
	}
	owner := app.Browser(t)
	app.SignIn(t, owner, app.Member.Email)
	add := func(email string, licensed bool) (*http.Response, string) {
		f := url.Values{"name": {"Someone"}, "email": {email}, "role": {"member"}}
		if licensed {
			f.Set("licensed", "on")
		}
		return app.Post(t, owner, "/admin/members", f)
	}
	if resp, body := add("second@acme.test", true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second licence: got %d\n%s", resp.StatusCode, body)
	}
	resp, body := add("third@acme.test", true)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "all 2 licences of Acme are in use") {
		t.Errorf("beyond the total: got %d, want 422 saying all licences are in use\n%s", resp.StatusCode, body)
	}
	if _, err := app.DB.MemberByEmail(ctx, app.Org.ID, "third@acme.test"); err == nil {
		t.Error("the member was created although the licence was refused")
	}
	if mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 10); len(mail) != 1 {
		t.Errorf("%d emails queued, want only the second member's invitation", len(mail))
	}
	if resp, _ := add("third@acme.test", false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("adding without a licence: got %d", resp.StatusCode)
	}
	third, _ := app.DB.MemberByEmail(ctx, app.Org.ID, "third@acme.test")
	resp, body = app.Post(t, owner, fmt.Sprintf("/admin/members/%d/access", third.ID), url.Values{"role": {"member"}, "licensed": {"on"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "licences of Acme are in use") {
		t.Errorf("licensing beyond the total: got %d\n%s", resp.StatusCode, body)
	}
	if member(t, app, third.ID).Licensed {
		t.Error("the licence was assigned beyond the total")
	}
	// The page shows the seats.
	if _, body := app.Get(t, owner, "/admin/members"); !strings.Contains(body, "2 of 2 in use") {
		t.Errorf("Team Members does not show 2 of 2 licences in use")
	}
}

func TestLastOwnerIsKept(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	owner := app.Browser(t)
	app.SignIn(t, owner, app.Member.Email)
	self := fmt.Sprintf("/admin/members/%d", app.Member.ID)
	resp, body := app.Post(t, owner, self+"/access", url.Values{"role": {"administrator"}, "licensed": {"on"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "only Owner") {
		t.Errorf("demoting the only Owner: got %d\n%s", resp.StatusCode, body)
	}
	if member(t, app, app.Member.ID).Role != store.RoleOwner {
		t.Fatal("the only Owner was demoted")
	}
	// An administrator may not disable or demote an Owner at all.
	adminC, _ := signedIn(t, app, "admin@acme.test", func(m *store.Member) { m.Role = store.RoleAdministrator })
	if resp, _ := app.Post(t, adminC, self+"/disable", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("administrator disabling an Owner: got %d, want 403", resp.StatusCode)
	}
	if resp, _ := app.Post(t, adminC, self+"/access", url.Values{"role": {"member"}, "licensed": {"on"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("administrator demoting an Owner: got %d, want 403", resp.StatusCode)
	}
	if resp, _ := app.Post(t, owner, self+"/disable", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("disabling oneself: got %d, want 409", resp.StatusCode)
	}
	// With a second Owner the first may step down.
	second := app.AddMember(t, "second@acme.test", func(m *store.Member) { m.Role = store.RoleOwner })
	if resp, body := app.Post(t, owner, self+"/access", url.Values{"role": {"administrator"}, "licensed": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stepping down with another Owner: got %d\n%s", resp.StatusCode, body)
	}
	if n, _ := app.DB.CountActiveOwners(t.Context(), app.Org.ID); n != 1 {
		t.Errorf("owners: got %d, want 1", n)
	}
	// Through the API a token is never an Owner.
	token := apiToken(t, app, "writer", access.MembersWrite)
	if status, _ := callAPI(t, app, token, "PATCH", fmt.Sprintf("/api/v1/members/%d", second.ID), `{"role":"member"}`); status != http.StatusForbidden {
		t.Errorf("token demoting an Owner: got %d, want 403", status)
	}
}

func TestNoPrivilegeEscalation(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	helpdesk := customRole(t, app, "Helpdesk", access.MembersRead, access.MembersWrite)
	c, self := signedIn(t, app, "helpdesk@acme.test", func(m *store.Member) { m.RoleID = helpdesk.ID })
	target := app.AddMember(t, "target@acme.test", nil)
	cases := []url.Values{
		{"role": {"administrator"}, "licensed": {"on"}},
		{"role": {"member"}, "permissions": {"settings.write"}, "licensed": {"on"}},
		{"role": {"member"}, "licensed": {"on"}, "data_access": {"on"}},
	}
	for _, f := range cases {
		for _, id := range []int64{target.ID, self.ID} {
			before := member(t, app, id)
			resp, _ := app.Post(t, c, fmt.Sprintf("/admin/members/%d/access", id), f)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("granting %v to member %d: got %d, want 403", f, id, resp.StatusCode)
			}
			if after := member(t, app, id); !reflect.DeepEqual(before, after) {
				t.Errorf("granting %v changed member %d", f, id)
			}
		}
	}
	if resp, _ := app.Post(t, c, "/admin/members", url.Values{"name": {"X"}, "email": {"x@acme.test"}, "role": {"owner"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("adding an Owner without being one: got %d, want 403", resp.StatusCode)
	}
	// What the actor holds they may grant.
	resp, body := app.Post(t, c, fmt.Sprintf("/admin/members/%d/access", target.ID), url.Values{"role": {fmt.Sprintf("role:%d", helpdesk.ID)}, "licensed": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("granting the actor's own role: got %d\n%s", resp.StatusCode, body)
	}
	if kinds := auditKinds(t, app, target.Email); len(kinds) != 1 || kinds[0] != "member-change: role Member → Helpdesk" {
		t.Errorf("audit of the role change: %v", kinds)
	}
}

func TestInvalidSettingsSaveNothing(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	_, page := app.Get(t, c, "/admin/settings")
	if !strings.Contains(page, `value="15"`) || !strings.Contains(page, "Sign-in URL") {
		t.Fatalf("settings page lacks the current values:\n%s", page)
	}
	before := organisation(t, app)
	valid := url.Values{"name": {"Acme Labs"}, "sign_in_url": {"https://portal.acme.test"}, "password_min_length": {"16"},
		"lockout_threshold": {"5"}, "lockout_minutes": {"15"}, "session_idle_minutes": {"120"}, "session_absolute_hours": {"12"},
		"remember_me_idle_days": {"7"}, "remember_me_days": {"30"}, "registration_hours": {"168"}, "unlinked_removal_days": {"30"},
		"notify_member_lockout": {"on"}}
	bad := map[string]string{
		"lockout_minutes":     "0",
		"password_min_length": "8",
		"sign_in_url":         "javascript:alert(1)",
		"registration_hours":  "many",
		"name":                "",
	}
	for field, value := range bad {
		f := url.Values{}
		for k, v := range valid {
			f[k] = v
		}
		f.Set(field, value)
		resp, body := app.Post(t, c, "/admin/settings", f)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+field+`-error"`) {
			t.Errorf("%s=%q: got %d, want 422 with a message beside the field", field, value, resp.StatusCode)
		}
		if after := organisation(t, app); !reflect.DeepEqual(before, after) {
			t.Errorf("%s=%q: something was saved: %+v", field, value, after)
		}
	}
	resp, body := app.Post(t, c, "/admin/settings", valid)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid settings: got %d\n%s", resp.StatusCode, body)
	}
	after := organisation(t, app)
	if after.Name != "Acme Labs" || after.SignInURL != "https://portal.acme.test" || after.Settings.PasswordMinLength != 16 ||
		after.Settings.NotifyPasswordChange || !after.Settings.NotifyMemberLockout {
		t.Errorf("saved settings: got %+v", after)
	}
	if kinds := auditKinds(t, app, ""); len(kinds) == 0 || !strings.Contains(kinds[0], "settings-change: changed name, sign-in URL, password minimum length, notifications") {
		t.Errorf("audit: got %v", kinds)
	}
	// The API refuses the same way, all or nothing.
	token := apiToken(t, app, "settings", access.SettingsWrite)
	status, out := callAPI(t, app, token, "PATCH", "/api/v1/settings", `{"name":"Acme API","lockout_threshold":0}`)
	if status != http.StatusUnprocessableEntity || out["fields"] == nil {
		t.Errorf("API with one invalid field: got %d %v", status, out)
	}
	if organisation(t, app).Name != "Acme Labs" {
		t.Error("the API saved part of an invalid change")
	}
	if status, _ := callAPI(t, app, token, "PATCH", "/api/v1/settings", `{"lockout_treshold":3}`); status != http.StatusBadRequest {
		t.Errorf("API with a misspelt field: got %d, want 400", status)
	}
}

func TestMemberActions(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	owner := app.Browser(t)
	app.SignIn(t, owner, app.Member.Email)
	bob, bobM := signedIn(t, app, "bob@acme.test", nil)
	path := fmt.Sprintf("/admin/members/%d", bobM.ID)

	// Disable ends every session at once.
	bob2 := app.Browser(t)
	app.SignIn(t, bob2, bobM.Email)
	resp, _ := app.Post(t, owner, path+"/disable", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: got %d", resp.StatusCode)
	}
	if _, body := app.Get(t, owner, path); !strings.Contains(body, "disabled and signed out everywhere") {
		t.Error("disable is not confirmed on the page")
	}
	for _, c := range []*http.Client{bob, bob2} {
		if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a disabled member's session still works: %d", resp.StatusCode)
		}
	}
	if sessions, _ := app.DB.MemberSessions(ctx, app.Org.ID, bobM.ID); len(sessions) != 0 {
		t.Errorf("%d sessions left after disabling", len(sessions))
	}
	if resp, _ := app.Post(t, owner, path+"/enable", nil); resp.StatusCode != http.StatusSeeOther || member(t, app, bobM.ID).Status != store.StatusActive {
		t.Errorf("re-enable: got %d, status %s", resp.StatusCode, member(t, app, bobM.ID).Status)
	}

	// Unlock lifts a lock at once.
	app.DB.ReserveSigninAttempt(ctx, app.Org.ID, bobM.Email, store.FailureRule{Now: app.Clock.Now(), Threshold: 1, LockFor: time.Hour, Forget: time.Hour})
	if _, body := app.Get(t, owner, "/admin/members?q=bob"); !strings.Contains(body, "status-locked") {
		t.Error("Team Members does not show the lock")
	}
	if resp, _ := app.Post(t, owner, path+"/unlock", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("unlock: got %d", resp.StatusCode)
	}
	if _, err := app.DB.SigninLockout(ctx, app.Org.ID, bobM.Email); err == nil {
		t.Error("the lock is still there")
	}
	if resp, body := app.Post(t, owner, path+"/unlock", nil); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "is not locked") {
		t.Errorf("unlocking an unlocked member: got %d", resp.StatusCode)
	}

	// Sign out everywhere, password reset.
	bob3 := app.Browser(t)
	app.SignIn(t, bob3, bobM.Email)
	app.Post(t, owner, path+"/signout", nil)
	if resp, _ := app.Get(t, bob3, "/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Error("sign out everywhere left a session")
	}
	app.Post(t, owner, path+"/password-reset", nil)
	mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 10)
	if len(mail) != 1 || mail[0].To != bobM.Email || mail[0].Kind != "password-reset" || !strings.Contains(mail[0].Text, app.URL+"/reset-password?token=") {
		t.Errorf("password reset email: got %+v", mail)
	}
	want := []string{"password-reset", "signout-everywhere", "unlock", "member-change", "member-change"}
	var got []string
	for _, k := range auditKinds(t, app, bobM.Email) {
		if !strings.HasPrefix(k, "signin-") {
			got = append(got, k)
		}
	}
	for i, k := range want {
		if i >= len(got) || !strings.HasPrefix(got[i], k) {
			t.Errorf("audit log for bob: got %v, want kinds %v first", got, want)
			break
		}
	}
	for _, e := range mustAudit(t, app, bobM.Email) {
		if e.Kind != "signin-success" && e.Actor != app.Member.Email {
			t.Errorf("audit entry %s has actor %q, want the owner", e.Kind, e.Actor)
		}
	}
}

func mustAudit(t *testing.T, app *servertest.App, email string) []store.AuditEvent {
	events, err := app.DB.AuditEvents(context.Background(), app.Org.ID, store.AuditFilter{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func TestAddMemberSendsInvitation(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	resp, body := app.Post(t, c, "/admin/members", url.Values{"name": {"Carla Dias"}, "email": {" Carla@Acme.test "}, "role": {"administrator"}, "licensed": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: got %d\n%s", resp.StatusCode, body)
	}
	m, err := app.DB.MemberByEmail(ctx, app.Org.ID, "carla@acme.test")
	if err != nil || m.Status != store.StatusInvited || m.Role != store.RoleAdministrator || !m.Licensed {
		t.Fatalf("added member: %+v, %v", m, err)
	}
	mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 10)
	if len(mail) != 1 || mail[0].Kind != "invitation" || !strings.Contains(mail[0].Text, app.URL+"/invitation?token=") ||
		!strings.Contains(mail[0].Text, "7 days") {
		t.Fatalf("invitation: %+v", mail)
	}
	// Resend voids the first link.
	resp, _ = app.Post(t, c, fmt.Sprintf("/admin/members/%d/resend-invitation", m.ID), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("resend: got %d", resp.StatusCode)
	}
	if mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 10); len(mail) != 2 {
		t.Errorf("after resending: %d emails, want 2", len(mail))
	}
	// Bad input is refused beside its field, and nothing is written.
	resp, body = app.Post(t, c, "/admin/members", url.Values{"name": {""}, "email": {"not-an-email"}, "role": {"member"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "is not a valid address") || !strings.Contains(body, "must not be empty") {
		t.Errorf("bad input: got %d\n%s", resp.StatusCode, body)
	}
	resp, body = app.Post(t, c, "/admin/members", url.Values{"name": {"Again"}, "email": {"carla@acme.test"}, "role": {"member"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already a member") {
		t.Errorf("duplicate: got %d", resp.StatusCode)
	}
	if mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 10); len(mail) != 2 {
		t.Errorf("refused additions queued mail: %d emails", len(mail))
	}
	if kinds := auditKinds(t, app, "carla@acme.test"); len(kinds) != 2 || !strings.HasPrefix(kinds[1], "member-add: role administrator, status invited") {
		t.Errorf("audit: %v", kinds)
	}
}

// TestNotificationPreferences: with the notices turned off in Details, a
// lockout and a password change send no email; turned on, they do.
func TestNotificationPreferences(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("notify=", on), func(t *testing.T) {
			app := servertest.New(t, servertest.Options{})
			ctx := context.Background()
			o := organisation(t, app)
			o.Settings.NotifyMemberLockout, o.Settings.NotifyPasswordChange = on, on
			if err := app.DB.UpdateOrganisation(ctx, o); err != nil {
				t.Fatal(err)
			}
			bob := app.AddMember(t, "bob@acme.test", nil)
			for range o.Settings.LockoutThreshold {
				app.Post(t, app.Browser(t), "/login", url.Values{"organisation": {"Acme"}, "email": {bob.Email}, "password": {"not it at all, sorry"}})
			}
			c := app.Browser(t)
			app.SignIn(t, c, app.Member.Email)
			resp, body := app.Post(t, c, "/profile/password", url.Values{"current_password": {servertest.Password},
				"password": {"violet mango tractor glacier"}, "password_confirm": {"violet mango tractor glacier"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change password: %d\n%s", resp.StatusCode, body)
			}
			kinds := map[string]bool{}
			mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 10)
			for _, m := range mail {
				kinds[m.Kind] = true
			}
			if kinds["account-locked"] != on || kinds["password-changed"] != on {
				t.Errorf("emails sent: %v, want lockout and password notices %v", kinds, on)
			}
			if events, _ := app.DB.AuditEvents(ctx, app.Org.ID, store.AuditFilter{Kind: "lockout"}); len(events) != 1 {
				t.Errorf("the lockout is recorded whatever the notice: %d entries", len(events))
			}
		})
	}
}

// TestRaisedPasswordMinimum: a minimum raised in Details applies when a
// member changes their password.
func TestRaisedPasswordMinimum(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	o := organisation(t, app)
	o.Settings.PasswordMinLength = 30
	if err := app.DB.UpdateOrganisation(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	if _, page := app.Get(t, c, "/profile/password"); !strings.Contains(page, `minlength="30"`) {
		t.Error("the form does not ask for 30 characters")
	}
	pw := "violet mango tractor glacier" // 28 characters
	resp, _ := app.Post(t, c, "/profile/password", url.Values{"current_password": {servertest.Password}, "password": {pw}, "password_confirm": {pw}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a 28-character password under a 30-character minimum: got %d", resp.StatusCode)
	}
	pw += " ok"
	if resp, body := app.Post(t, c, "/profile/password", url.Values{"current_password": {servertest.Password}, "password": {pw}, "password_confirm": {pw}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a 31-character password: got %d\n%s", resp.StatusCode, body)
	}
}

// TestGraveChangesAskForThePasswordAgain: past ten minutes since the
// member proved who they are, settings, access, roles, API tokens and
// every security action on a member send them to re-authenticate first,
// and nothing changes meanwhile.
func TestGraveChangesAskForThePasswordAgain(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	bob := app.AddMember(t, "bob@acme.test", nil)
	app.Clock.Advance(11 * time.Minute)
	before := take(t, app)
	for path, form := range map[string]url.Values{
		"/admin/tokens":   {"name": {"ci"}, "permissions": {"members.read"}},
		"/admin/settings": {"name": {"Renamed"}},
		"/admin/roles":    {"name": {"Helpdesk"}},
		fmt.Sprintf("/admin/members/%d/access", bob.ID):          {"role": {"administrator"}, "licensed": {"on"}},
		fmt.Sprintf("/admin/members/%d/signout", bob.ID):         nil,
		fmt.Sprintf("/admin/members/%d/password-reset", bob.ID):  nil,
		fmt.Sprintf("/admin/members/%d/mfa-reset", bob.ID):       nil,
		fmt.Sprintf("/admin/members/%d/forget-browsers", bob.ID): nil,
		fmt.Sprintf("/admin/members/%d/unlock", bob.ID):          nil,
	} {
		resp, _ := app.Post(t, c, path, form)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/reauthenticate?return_to=") {
			t.Errorf("POST %s after 11 minutes: %d to %q, want a redirect to /reauthenticate", path, resp.StatusCode, loc)
		}
	}
	if after := take(t, app); !reflect.DeepEqual(before, after) {
		t.Error("something changed before re-authenticating")
	}
	// Everyday actions do not ask.
	if resp, _ := app.Post(t, c, fmt.Sprintf("/admin/members/%d/disable", bob.ID), nil); resp.StatusCode != http.StatusSeeOther ||
		strings.HasPrefix(resp.Header.Get("Location"), "/reauthenticate") {
		t.Errorf("disable asked for the password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestAdministratorsToldOfNewMembers: with the Details check box on, every
// active Owner and Administrator gets a notice when a member is added.
func TestAdministratorsToldOfNewMembers(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	app.AddMember(t, "admin@acme.test", func(m *store.Member) { m.Role = store.RoleAdministrator })
	app.AddMember(t, "gone@acme.test", func(m *store.Member) { m.Role = store.RoleAdministrator; m.Status = store.StatusDisabled })
	add := func(email string) map[string]string {
		app.Post(t, c, "/admin/members", url.Values{"name": {"New " + xss}, "email": {email}, "role": {"member"}, "licensed": {"on"}})
		got := map[string]string{}
		mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 50)
		for _, m := range mail {
			if m.Kind == "member-added" && strings.Contains(m.Text, email) {
				got[m.To] = m.HTML
			}
		}
		return got
	}
	if got := add("first@acme.test"); len(got) != 0 {
		t.Errorf("notices with the setting off: %v", got)
	}
	o := organisation(t, app)
	o.Settings.NotifyAdminsNewMember = true
	app.DB.UpdateOrganisation(ctx, o)
	got := add("second@acme.test")
	if len(got) != 2 || got[app.Member.Email] == "" || got["admin@acme.test"] == "" {
		t.Errorf("notices: got %d, want the Owner and the active Administrator", len(got))
	}
	for to, html := range got {
		if strings.Contains(html, xss) {
			t.Errorf("notice to %s carries the name as markup", to)
		}
	}
}
