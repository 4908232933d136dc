package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

func TestLoginServicesPage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	form := url.Values{"name": {"NIH Network Login"}, "issuer": {"https://login.nih.test"}, "client_id": {"acme"},
		"secret": {"s3cret-value"}, "scopes": {"openid email"}, "username_claim": {"preferred_username"}, "enabled": {"on"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("issuer", "http://login.nih.test")
	resp, body := app.Post(t, c, "/admin/login-services", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "https address") {
		t.Fatalf("an http issuer: %d, want the form again with the reason\n%s", resp.StatusCode, body)
	}
	if list, _ := app.DB.LoginServicesOf(context.Background(), app.Org.ID); len(list) != 0 {
		t.Fatalf("a refused form saved %d services", len(list))
	}
	if resp, body := app.Post(t, c, "/admin/login-services", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d\n%s", resp.StatusCode, body)
	}
	list, err := app.DB.LoginServicesOf(context.Background(), app.Org.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("stored: %v, %v", list, err)
	}
	if strings.Contains(string(list[0].ClientSecret), "s3cret-value") {
		t.Error("the client secret is stored in the clear")
	}
	_, page := app.Get(t, c, "/admin/login-services")
	if !strings.Contains(page, "NIH Network Login") || !strings.Contains(page, "/o/acme/login-services/") ||
		strings.Contains(page, "s3cret-value") {
		t.Errorf("the page lacks the service or its redirect URI, or shows the secret:\n%s", page)
	}
	_, login := app.Get(t, app.Browser(t), "/o/acme/login")
	if !strings.Contains(login, "NIH Network Login") {
		t.Error("the organisation's sign-in page has no button for the service")
	}
	_, generic := app.Get(t, app.Browser(t), "/login?organisation=Acme")
	if !strings.Contains(generic, "NIH Network Login") {
		t.Error("the generic sign-in page with the organisation named has no button for the service")
	}
	if kinds := auditKinds(t, app, ""); !containsPrefix(kinds, audit.LoginServiceChange+": added") {
		t.Errorf("audit: %v", kinds)
	}

	reader, _ := signedIn(t, app, "reader@acme.test", func(m *store.Member) { m.Permissions = "settings.read" })
	if resp, _ := app.Post(t, reader, "/admin/login-services/"+itoa(list[0].ID)+"/delete", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("delete with settings.read only: %d, want 403", resp.StatusCode)
	}
}

func TestLoginServicesAPI(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	token := apiToken(t, app, "ops", access.SettingsRead, access.SettingsWrite)
	status, out := callAPI(t, app, token, "POST", "/api/v1/login-services",
		`{"name":"NIH Network Login","issuer":"https://login.nih.test","client_id":"acme","client_secret":"s"}`)
	if status != http.StatusCreated || out["redirect_uri"] == nil || out["client_secret"] != nil || out["enabled"] != true {
		t.Fatalf("create: %d %v", status, out)
	}
	id := itoa(int64(out["id"].(float64)))
	status, out = callAPI(t, app, token, "PUT", "/api/v1/login-services/"+id,
		`{"name":"NIH Login","issuer":"https://login.nih.test","client_id":"acme","enabled":false}`)
	if status != http.StatusOK || out["name"] != "NIH Login" || out["enabled"] != false {
		t.Fatalf("update: %d %v", status, out)
	}
	if status, out = callAPI(t, app, token, "POST", "/api/v1/login-services", `{"name":"","issuer":"x","client_id":""}`); status != http.StatusUnprocessableEntity {
		t.Errorf("invalid: %d %v", status, out)
	}
	readOnly := apiToken(t, app, "ro", access.SettingsRead)
	if status, _ := callAPI(t, app, readOnly, "DELETE", "/api/v1/login-services/"+id, ""); status != http.StatusForbidden {
		t.Errorf("delete with settings.read: %d", status)
	}
	if status, _ := callAPI(t, app, token, "DELETE", "/api/v1/login-services/"+id, ""); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status, _ := callAPI(t, app, token, "GET", "/api/v1/login-services/"+id, ""); status != http.StatusNotFound {
		t.Errorf("after delete: %d", status)
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoginServiceMFASetting(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	c := app.Browser(t)
	app.SignIn(t, c, "ana@acme.test")
	_, page := app.Get(t, c, "/admin/login-services")
	if !strings.Contains(page, `name="external_mfa" type="checkbox" value="on" checked`) {
		t.Fatalf("the page does not show the MFA setting on by default:\n%s", page)
	}
	if resp, body := app.Post(t, c, "/admin/login-services/settings", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turn off: %d\n%s", resp.StatusCode, body)
	}
	if on, err := app.DB.ExternalMFA(ctx, app.Org.ID); err != nil || on {
		t.Fatalf("after unchecking: %v %v, want off", on, err)
	}
	if kinds := auditKinds(t, app, ""); !containsPrefix(kinds, audit.LoginServiceChange+": members signing in through a login service skip") {
		t.Errorf("audit: %v", kinds)
	}
	reader, _ := signedIn(t, app, "reader@acme.test", func(m *store.Member) { m.Permissions = "settings.read" })
	if resp, _ := app.Post(t, reader, "/admin/login-services/settings", url.Values{"external_mfa": {"on"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("change with settings.read only: %d, want 403", resp.StatusCode)
	}

	token := apiToken(t, app, "ops", access.SettingsRead, access.SettingsWrite)
	if status, out := callAPI(t, app, token, "GET", "/api/v1/login-services/settings", ""); status != http.StatusOK || out["external_mfa"] != false {
		t.Errorf("API read: %d %v", status, out)
	}
	if status, out := callAPI(t, app, token, "PUT", "/api/v1/login-services/settings", `{}`); status != http.StatusUnprocessableEntity {
		t.Errorf("API without the field: %d %v, want 422", status, out)
	}
	if status, out := callAPI(t, app, token, "PUT", "/api/v1/login-services/settings", `{"external_mfa":true}`); status != http.StatusOK || out["external_mfa"] != true {
		t.Errorf("API turn on: %d %v", status, out)
	}
	if on, err := app.DB.ExternalMFA(ctx, app.Org.ID); err != nil || !on {
		t.Errorf("after the API turned it on: %v %v", on, err)
	}
}
