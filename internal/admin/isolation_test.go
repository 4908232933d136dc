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

// TestOrganisationsAreIsolated: an Owner and an API token of Globex reach
// nothing of Acme's through the pages or the API, however they name it.
func TestOrganisationsAreIsolated(t *testing.T) {
	acme := servertest.New(t, servertest.Options{})
	bob := acme.AddMember(t, "bob@acme.test", nil)
	role := customRole(t, acme, "Auditor", access.AuditRead)
	globex := servertest.New(t, servertest.Options{DB: acme.DB, OrgName: "Globex"})
	before := take(t, acme)

	c := globex.Browser(t)
	globex.SignIn(t, c, globex.Member.Email)
	id := fmt.Sprint(bob.ID)
	for _, path := range []string{"/admin/members/" + id} {
		if resp, _ := globex.Get(t, c, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s across organisations: %d, want 404", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/admin/members/" + id + "/access", "/admin/members/" + id + "/disable",
		"/admin/members/" + id + "/signout", "/admin/members/" + id + "/password-reset", fmt.Sprintf("/admin/roles/%d/delete", role.ID)} {
		if resp, _ := globex.Post(t, c, path, url.Values{"role": {"member"}, "licensed": {"on"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s across organisations: %d, want 404", path, resp.StatusCode)
		}
	}
	// Naming Acme's custom role for a Globex member is refused too.
	gm := globex.AddMember(t, "gus@globex.test", nil)
	if resp, _ := globex.Post(t, c, fmt.Sprintf("/admin/members/%d/access", gm.ID),
		url.Values{"role": {fmt.Sprintf("role:%d", role.ID)}, "licensed": {"on"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("another organisation's role: %d, want 422", resp.StatusCode)
	}
	if _, body := globex.Get(t, c, "/admin/members?q=bob"); !contains(body, "No team members match.") {
		t.Error("Globex's search finds Acme's member")
	}

	token := apiToken(t, globex, "all", access.MembersRead, access.MembersWrite, access.MembersSecurity, access.RolesManage)
	for _, op := range [][3]string{
		{"GET", "/api/v1/members/" + id, ""},
		{"PATCH", "/api/v1/members/" + id, `{"licensed":false}`},
		{"POST", "/api/v1/members/" + id + "/disable", ""},
		{"PUT", fmt.Sprintf("/api/v1/roles/%d", role.ID), `{"name":"Mine now","permissions":[]}`},
		{"DELETE", fmt.Sprintf("/api/v1/roles/%d", role.ID), ""},
	} {
		if status, _ := callAPI(t, globex, token, op[0], op[1], op[2]); status != http.StatusNotFound {
			t.Errorf("%s %s across organisations: %d, want 404", op[0], op[1], status)
		}
	}
	if status, out := callAPI(t, globex, token, "GET", "/api/v1/members?q=bob", ""); status != http.StatusOK || out["total"] != float64(0) {
		t.Errorf("Globex's API lists Acme's members: %v", out)
	}
	if after := take(t, acme); !reflect.DeepEqual(before, after) {
		t.Error("Acme changed through Globex")
	}
	if m := member(t, acme, bob.ID); m.Status != store.StatusActive {
		t.Errorf("bob: %+v", m)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
