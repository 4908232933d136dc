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

func mfaPolicy(t *testing.T, app *servertest.App) store.MFAPolicy {
	t.Helper()
	p, err := app.DB.MFAPolicy(context.Background(), app.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var mfaOn = url.Values{"mfa": {"on"}, "mfa_methods": {"email", "sms"}, "mfa_remember_days": {"30"}}

func TestOnlySensitiveDataAccessChangesMFA(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	admin, _ := signedIn(t, app, "admin@acme.test", func(m *store.Member) { m.Role = store.RoleAdministrator })
	_, body := app.Get(t, admin, "/admin/settings?section=mfa")
	if !strings.Contains(body, "Multi-Factor Authentication") || !strings.Contains(body, "Only team members with Sensitive Data Access") ||
		!strings.Contains(body, `id="mfa-required" type="checkbox" name="mfa" value="on" role="switch" disabled`) {
		t.Fatalf("Details should show MFA read-only with the reason:\n%s", body)
	}
	if !strings.Contains(body, "SMS (weaker") {
		t.Error("SMS is not marked as weaker")
	}
	resp, body := app.Post(t, admin, "/admin/settings/mfa", mfaOn)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Sensitive Data Access") {
		t.Errorf("administrator without Sensitive Data Access: %d", resp.StatusCode)
	}
	token := apiToken(t, app, "settings", access.SettingsRead, access.SettingsWrite)
	if status, _ := callAPI(t, app, token, "PUT", "/api/v1/settings/mfa", `{"required":true,"methods":["totp"],"remember_days":30}`); status != http.StatusForbidden {
		t.Errorf("API token: %d, want 403", status)
	}
	if status, got := callAPI(t, app, token, "GET", "/api/v1/settings/mfa", ""); status != http.StatusOK || got["required"] != false {
		t.Errorf("API read: %d %v", status, got)
	}
	if p := mfaPolicy(t, app); p.Required {
		t.Fatal("a refused change was saved")
	}

	sda, _ := signedIn(t, app, "sda@acme.test", func(m *store.Member) { m.Role = store.RoleAdministrator; m.DataAccess = true })
	bad := url.Values{"mfa": {"on"}, "mfa_remember_days": {"30"}}
	if resp, body := app.Post(t, sda, "/admin/settings/mfa", bad); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose at least one method") {
		t.Errorf("MFA on without methods: %d", resp.StatusCode)
	}
	if resp, _ := app.Post(t, sda, "/admin/settings/mfa", url.Values{"mfa_methods": {"email"}, "mfa_remember_days": {"400"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("400 days: %d", resp.StatusCode)
	}
	if p := mfaPolicy(t, app); p.Required || !reflect.DeepEqual(p.Methods, []string{"email"}) {
		t.Fatalf("refused input changed the policy: %+v", p)
	}
	if resp, _ := app.Post(t, sda, "/admin/settings/mfa", mfaOn); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("member with Sensitive Data Access: %d", resp.StatusCode)
	}
	want := store.MFAPolicy{Required: true, Methods: []string{"email", "sms"}, TrustedDeviceDuration: 30 * 24 * time.Hour}
	if p := mfaPolicy(t, app); !reflect.DeepEqual(p, want) {
		t.Errorf("saved %+v, want %+v", p, want)
	}
	events, _ := app.DB.AuditEvents(context.Background(), app.Org.ID, store.AuditFilter{Kind: "settings-change"})
	if len(events) == 0 || events[0].Actor != "sda@acme.test" || !strings.Contains(events[0].Detail, "MFA off") || !strings.Contains(events[0].Detail, "→ MFA on") {
		t.Errorf("audit: %+v", events)
	}
}

func TestAdministratorResetsAMembersMFA(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	bo := app.AddMember(t, "bo@acme.test", nil)
	now := app.Clock.Now()
	app.DB.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: app.Org.ID, MemberID: bo.ID, Method: "totp", Name: "Phone", Secret: []byte("S"), CreatedAt: now})
	app.DB.CreateTrustedDevice(ctx, &store.TrustedDevice{TokenHash: []byte("device-of-bo-000000000000000000"), OrgID: app.Org.ID,
		MemberID: bo.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err := app.DB.SetBranding(ctx, store.Branding{OrgID: app.Org.ID, Logo: []byte("\x89PNG"), UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	owner := app.Browser(t)
	app.SignIn(t, owner, "ana@acme.test")
	if _, body := app.Get(t, owner, "/admin/members"); !strings.Contains(body, `<td data-label="MFA methods">Authenticator app</td>`) {
		t.Error("Team Members does not show Bo's authenticator app")
	}
	resp, body := app.Post(t, owner, fmt.Sprintf("/admin/members/%d/mfa-reset", bo.ID), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, body)
	}
	if list, _ := app.DB.MemberMFAFactors(ctx, app.Org.ID, bo.ID); len(list) != 0 {
		t.Error("factors remain after the reset")
	}
	if list, _ := app.DB.MemberTrustedDevices(ctx, app.Org.ID, bo.ID); len(list) != 0 {
		t.Error("remembered browsers remain after the reset")
	}
	mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 5)
	if len(mail) == 0 || mail[0].To != "bo@acme.test" || mail[0].Kind != "mfa-reset" {
		t.Errorf("Bo was not told: %+v", mail)
	} else if logo := `/brand/` + app.Org.URLName + `/logo.png" alt="` + app.Org.Name + `"`; !strings.Contains(mail[0].HTML, `<img src="http://`) || !strings.Contains(mail[0].HTML, logo) {
		t.Errorf("the email lacks the organisation's logo %s:\n%s", logo, mail[0].HTML)
	}
	if kinds := auditKinds(t, app, "bo@acme.test"); len(kinds) == 0 || !strings.HasPrefix(kinds[0], "mfa-change") {
		t.Errorf("audit: %v", kinds)
	}
	if _, body := app.Get(t, owner, "/admin/members"); !strings.Contains(body, `<td data-label="MFA methods">None</td>`) {
		t.Error("Team Members still shows methods")
	}
	plain, _ := signedIn(t, app, "plain@acme.test", nil)
	if resp, _ := app.Post(t, plain, fmt.Sprintf("/admin/members/%d/mfa-reset", bo.ID), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member without permission: %d", resp.StatusCode)
	}
}

// The Owner rule covers every action on an Owner: an Administrator (with
// members.security, without Sensitive Data Access) and an API token can
// neither reset an Owner's second factors or remembered browsers, nor sign
// them out, send them a reset link or unlock them; nothing changes.
func TestOnlyAnOwnerActsOnAnOwner(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	owner := app.Browser(t)
	app.SignIn(t, owner, app.Member.Email)
	now := app.Clock.Now()
	app.DB.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: app.Org.ID, MemberID: app.Member.ID, Method: "totp", Name: "Phone",
		Secret: []byte("S"), CreatedAt: now})
	app.DB.CreateTrustedDevice(ctx, &store.TrustedDevice{TokenHash: []byte("device-of-ana-00000000000000000"), OrgID: app.Org.ID,
		MemberID: app.Member.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)})
	admin, _ := signedIn(t, app, "admin@acme.test", func(m *store.Member) { m.Role = store.RoleAdministrator })
	token := apiToken(t, app, "security", access.MembersSecurity, access.MembersWrite)
	before := take(t, app)
	for _, action := range []string{"mfa-reset", "forget-browsers", "signout", "password-reset", "unlock", "disable"} {
		path := fmt.Sprintf("/admin/members/%d/%s", app.Member.ID, action)
		if resp, _ := app.Post(t, admin, path, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("administrator %s on the Owner: %d, want 403", action, resp.StatusCode)
		}
		if status, _ := callAPI(t, app, token, "POST", "/api/v1"+strings.TrimPrefix(path, "/admin"), ""); status != http.StatusForbidden {
			t.Errorf("API token %s on the Owner: %d, want 403", action, status)
		}
	}
	if factors, _ := app.DB.MemberMFAFactors(ctx, app.Org.ID, app.Member.ID); len(factors) != 1 {
		t.Error("the Owner's authenticator app was removed")
	}
	if devices, _ := app.DB.MemberTrustedDevices(ctx, app.Org.ID, app.Member.ID); len(devices) != 1 {
		t.Error("the Owner's remembered browser was forgotten")
	}
	if after := take(t, app); !reflect.DeepEqual(before, after) {
		t.Error("something changed (members, mail)")
	}
	if resp, _ := app.Get(t, owner, "/dashboard"); resp.StatusCode != http.StatusOK {
		t.Errorf("the Owner was signed out: %d", resp.StatusCode)
	}
	// Another Owner may.
	second, _ := signedIn(t, app, "second@acme.test", func(m *store.Member) { m.Role = store.RoleOwner })
	if resp, body := app.Post(t, second, fmt.Sprintf("/admin/members/%d/mfa-reset", app.Member.ID), nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an Owner resetting an Owner's second factors: %d\n%s", resp.StatusCode, body)
	}
}
