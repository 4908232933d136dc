package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/access"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// Every API body and form is bounded before its handler runs: a field
// longer than the bound is refused and nothing is written.
func TestOverlongFieldsInAPIBodiesAndFormsAreRefused(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	token := apiToken(t, app, "bounds", access.MembersWrite, access.MembersRead, access.RolesManage)
	long := strings.Repeat("n", 9000)
	for path, body := range map[string]string{
		"/api/v1/members": `{"name":"` + long + `","email":"api@acme.test"}`,
		"/api/v1/roles":   `{"name":"Helpers","permissions":["` + long + `"]}`,
	} {
		status, out := callAPI(t, app, token, "POST", path, body)
		if status != http.StatusBadRequest || !strings.Contains(out["error"].(string), "too long") {
			t.Errorf("%s: %d %v, want 400 saying too long", path, status, out)
		}
	}
	if _, err := app.DB.MemberByEmail(context.Background(), app.Org.ID, "api@acme.test"); err == nil {
		t.Error("the member was added")
	}
	c, _ := signedIn(t, app, "admin@acme.test", func(m *store.Member) { m.Role = store.RoleAdministrator })
	resp, body := app.Post(t, c, "/admin/members", url.Values{"email": {"form@acme.test"}, "name": {long}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "too long") {
		t.Errorf("admin form: %d, want 400 saying too long", resp.StatusCode)
	}
	if _, err := app.DB.MemberByEmail(context.Background(), app.Org.ID, "form@acme.test"); err == nil {
		t.Error("the member of the form was added")
	}
}
