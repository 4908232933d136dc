package admin_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"imslogin/internal/access"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// A route of the admin console and the permission it needs.
type route struct {
	method, path string
	perm         access.Permission
	form         url.Values
}

func pageRoutes(target, role, token int64) []route {
	p := func(s string) string {
		return strings.NewReplacer("{id}", fmt.Sprint(target), "{role}", fmt.Sprint(role), "{token}", fmt.Sprint(token)).Replace(s)
	}
	return []route{
		{"GET", "/admin/members", access.MembersRead, nil},
		{"GET", p("/admin/members/{id}"), access.MembersRead, nil},
		{"GET", "/admin/members/new", access.MembersWrite, nil},
		{"POST", "/admin/members", access.MembersWrite, url.Values{"name": {"New One"}, "email": {"new@acme.test"}, "role": {"member"}}},
		{"POST", p("/admin/members/{id}/access"), access.MembersWrite, url.Values{"role": {"member"}}},
		{"POST", p("/admin/members/{id}/disable"), access.MembersWrite, nil},
		{"POST", p("/admin/members/{id}/signout"), access.MembersSecurity, nil},
		{"POST", p("/admin/members/{id}/password-reset"), access.MembersSecurity, nil},
		{"POST", p("/admin/members/{id}/unlock"), access.MembersSecurity, nil},
		{"POST", p("/admin/members/{id}/enable"), access.MembersWrite, nil},
		{"POST", p("/admin/members/{id}/resend-invitation"), access.MembersWrite, nil},
		{"POST", p("/admin/roles/{role}"), access.RolesManage, url.Values{"name": {"Renamed role"}}},
		{"POST", p("/admin/roles/{role}/delete"), access.RolesManage, nil},
		{"POST", p("/admin/tokens/{token}/revoke"), access.TokensManage, nil},
		{"GET", "/admin/roles", access.RolesManage, nil},
		{"POST", "/admin/roles", access.RolesManage, url.Values{"name": {"Helpdesk"}}},
		{"GET", "/admin/settings", access.SettingsRead, nil},
		{"POST", "/admin/settings", access.SettingsWrite, url.Values{"name": {"Renamed"}}},
		{"GET", "/admin/audit", access.AuditRead, nil},
		{"GET", "/admin/tokens", access.TokensManage, nil},
		{"POST", "/admin/tokens", access.TokensManage, url.Values{"name": {"ci"}, "permissions": {"members.read"}}},
	}
}

// snapshot is everything the routes above could change.
type snapshot struct {
	Org     store.Organisation
	Members []store.MemberRow
	Roles   []store.CustomRole
	Tokens  int
	Mail    int
}

func take(t *testing.T, app *servertest.App) snapshot {
	t.Helper()
	ctx := t.Context()
	var s snapshot
	s.Org = organisation(t, app)
	s.Members, _ = app.DB.ListMembers(ctx, app.Org.ID, store.MemberQuery{Limit: 200})
	s.Roles, _ = app.DB.Roles(ctx, app.Org.ID)
	tokens, _ := app.DB.APITokens(ctx, app.Org.ID)
	mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 100)
	s.Tokens, s.Mail = len(tokens), len(mail)
	return s
}

// TestPagePermissionMatrix tries every role against every admin page and
// form: allowed works, denied answers 403 and changes nothing.
func TestPagePermissionMatrix(t *testing.T) {
	roles := []struct {
		name  string
		edit  func(app *servertest.App) func(*store.Member)
		perms access.Set
	}{
		{"owner", func(*servertest.App) func(*store.Member) { return func(m *store.Member) { m.Role = store.RoleOwner } }, access.All},
		{"administrator", func(*servertest.App) func(*store.Member) {
			return func(m *store.Member) { m.Role = store.RoleAdministrator }
		}, access.Builtin(store.RoleAdministrator)},
		{"member", func(*servertest.App) func(*store.Member) { return nil }, 0},
		{"custom auditor", func(app *servertest.App) func(*store.Member) {
			r := customRole(t, app, "Auditor", access.AuditRead, access.MembersRead)
			return func(m *store.Member) { m.RoleID = r.ID }
		}, access.Of(access.AuditRead, access.MembersRead)},
		{"member with a grant", func(*servertest.App) func(*store.Member) {
			return func(m *store.Member) { m.Permissions = "settings.read members.security" }
		}, access.Of(access.SettingsRead, access.MembersSecurity)},
	}
	for _, role := range roles {
		t.Run(role.name, func(t *testing.T) {
			app := servertest.New(t, servertest.Options{})
			target := app.AddMember(t, "target@acme.test", nil)
			spare := customRole(t, app, "Spare", access.AuditRead)
			apiToken(t, app, "spare", access.AuditRead)
			tokens, _ := app.DB.APITokens(t.Context(), app.Org.ID)
			edit := role.edit(app)
			for _, rt := range pageRoutes(target.ID, spare.ID, tokens[0].ID) {
				// A fresh actor per route: a route that is allowed may
				// change what the next one sees (signout, disable).
				c, _ := signedIn(t, app, fmt.Sprintf("actor-%d@acme.test", len(take(t, app).Members)), edit)
				before := take(t, app)
				var resp *http.Response
				var body string
				if rt.method == "GET" {
					resp, body = app.Get(t, c, rt.path)
				} else {
					resp, body = app.Post(t, c, rt.path, rt.form)
				}
				allowed := role.perms.Has(rt.perm)
				switch {
				case allowed && (resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500):
					t.Errorf("%s %s: allowed, got %d\n%s", rt.method, rt.path, resp.StatusCode, body)
				case !allowed && resp.StatusCode != http.StatusForbidden:
					t.Errorf("%s %s: denied, got %d, want 403", rt.method, rt.path, resp.StatusCode)
				case !allowed && !reflect.DeepEqual(before, take(t, app)):
					t.Errorf("%s %s: denied, yet something changed", rt.method, rt.path)
				case !allowed && !strings.Contains(body, "permission"):
					t.Errorf("%s %s: the 403 page does not say why", rt.method, rt.path)
				}
			}
		})
	}
}

// TestAPIPermissionMatrix tries tokens of each permission against every API
// operation.
func TestAPIPermissionMatrix(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	target := app.AddMember(t, "target@acme.test", nil)
	id := fmt.Sprint(target.ID)
	roleID := fmt.Sprint(customRole(t, app, "Spare", access.AuditRead).ID)
	ops := []struct {
		method, path, body string
		perm               access.Permission
	}{
		{"GET", "/api/v1/members", "", access.MembersRead},
		{"GET", "/api/v1/members/" + id, "", access.MembersRead},
		{"POST", "/api/v1/members", `{"name":"Api Added","email":"api@acme.test"}`, access.MembersWrite},
		{"PATCH", "/api/v1/members/" + id, `{"licensed":false}`, access.MembersWrite},
		{"POST", "/api/v1/members/" + id + "/signout", "", access.MembersSecurity},
		{"POST", "/api/v1/members/" + id + "/disable", "", access.MembersWrite},
		{"POST", "/api/v1/members/" + id + "/password-reset", "", access.MembersSecurity},
		{"POST", "/api/v1/members/" + id + "/unlock", "", access.MembersSecurity},
		{"POST", "/api/v1/members/" + id + "/enable", "", access.MembersWrite},
		{"POST", "/api/v1/members/" + id + "/resend-invitation", "", access.MembersWrite},
		{"PUT", "/api/v1/roles/" + roleID, `{"name":"Renamed","permissions":[]}`, access.RolesManage},
		{"DELETE", "/api/v1/roles/" + roleID, "", access.RolesManage},
		{"GET", "/api/v1/roles", "", access.RolesManage},
		{"POST", "/api/v1/roles", `{"name":"Api Role","permissions":[]}`, access.RolesManage},
		{"GET", "/api/v1/settings", "", access.SettingsRead},
		{"PATCH", "/api/v1/settings", `{"name":"Renamed"}`, access.SettingsWrite},
		{"GET", "/api/v1/audit", "", access.AuditRead},
	}
	tokens := map[access.Permission]string{}
	for _, info := range access.Catalogue {
		tokens[info.Name] = apiToken(t, app, "only-"+string(info.Name), info.Name)
	}
	for _, op := range ops {
		for perm, token := range tokens {
			before := take(t, app)
			status, body := callAPI(t, app, token, op.method, op.path, op.body)
			if perm == op.perm {
				// Allowed: done, or refused by a rule (422: not locked, not invited).
				if status >= 300 && status != http.StatusUnprocessableEntity {
					t.Errorf("%s %s with %s: got %d %v", op.method, op.path, perm, status, body)
				}
				continue
			}
			if status != http.StatusForbidden {
				t.Errorf("%s %s with %s: got %d, want 403", op.method, op.path, perm, status)
			}
			if after := take(t, app); !reflect.DeepEqual(before, after) {
				t.Errorf("%s %s with %s: denied, yet something changed", op.method, op.path, perm)
			}
		}
		if status, _ := callAPI(t, app, "", op.method, op.path, op.body); status != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: got %d, want 401", op.method, op.path, status)
		}
		if status, _ := callAPI(t, app, "ims_"+strings.Repeat("A", 43), op.method, op.path, op.body); status != http.StatusUnauthorized {
			t.Errorf("%s %s with a made-up token: got %d, want 401", op.method, op.path, status)
		}
	}
}
