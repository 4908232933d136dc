package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// formRoutes are the site's form posts; {id} is the signed-in Owner's own
// member, session, role or portal ID 1 (refusal comes first in any case).
var formRoutes = []string{"/login", "/login/mfa", "/o/acme/login", "/logout", "/logout-everywhere", "/forgot-password",
	"/reset-password", "/invitation", "/password/strength", "/reauthenticate", "/profile", "/profile/password",
	"/profile/email", "/profile/portals/revoke", "/profile/security/backup", "/profile/security/devices/forget-all",
	"/profile/security/devices/1/forget", "/profile/security/phone", "/profile/security/phone/remove",
	"/profile/security/totp", "/profile/security/totp/confirm", "/profile/security/totp/1/remove",
	"/profile/security/webauthn", "/profile/security/webauthn/finish", "/profile/security/webauthn/1/remove",
	"/profile/sessions/1/revoke", "/admin/members", "/admin/members/1/access", "/admin/members/1/disable",
	"/admin/members/1/signout", "/admin/members/1/password-reset", "/admin/members/1/mfa-reset", "/admin/roles",
	"/admin/roles/1", "/admin/roles/1/delete", "/admin/settings", "/admin/settings/mfa", "/admin/tokens",
	"/admin/tokens/1/revoke", "/admin/portals", "/admin/portals/1", "/admin/portals/1/delete", "/admin/portals/1/rotate-secret"}

// changes is what a refused request must leave as it was: the audit log,
// the outbox, the members and their sessions.
func changes(t *testing.T, app *servertest.App) string {
	t.Helper()
	ctx := context.Background()
	events, _ := app.DB.AuditEvents(ctx, app.Org.ID, store.AuditFilter{})
	mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 1000)
	members, _ := app.DB.ListMembers(ctx, app.Org.ID, store.MemberQuery{Limit: 200})
	sessions, _ := app.DB.MemberSessions(ctx, app.Org.ID, app.Member.ID)
	return fmt.Sprint(len(events), len(mail), len(members), len(sessions))
}

// TestOversizedFieldsAndBodiesOnEveryFormRoute: a field over 8 KiB is
// refused with 400 and a body over 1 MiB with 413 on every form route,
// signed in as an Owner with a fresh authentication, and nothing changes.
func TestOversizedFieldsAndBodiesOnEveryFormRoute(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	before := changes(t, app)
	field := strings.Repeat("x", 9<<10)
	body := strings.Repeat("y", 1<<20+1)
	for _, path := range formRoutes {
		form := map[string][]string{"organisation": {"Acme"}, "email": {"ana@acme.test"}, "name": {field}, "password": {"p"}}
		if resp, _ := app.Post(t, c, path, form); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s with a 9 KiB field: %d, want 400", path, resp.StatusCode)
		}
		if resp, _ := app.Post(t, c, path, map[string][]string{"name": {body}}); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a body over 1 MiB: %d, want 413", path, resp.StatusCode)
		}
	}
	if after := changes(t, app); after != before {
		t.Errorf("refused requests changed something: %s, before %s", after, before)
	}
	if resp, _ := app.Get(t, c, "/dashboard"); resp.StatusCode != http.StatusOK {
		t.Errorf("the Owner was signed out by refused requests: %d", resp.StatusCode)
	}
}
