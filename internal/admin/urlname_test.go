package admin_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/access"
	"imslogin/internal/admin"
	"imslogin/internal/server/servertest"
)

// TestDetailsShowTheURLName: Details shows the URL name and the address of
// the organisation's own sign-in page, on its official address once it has
// one; administrators cannot change it, on the page or through the API.
func TestDetailsShowTheURLName(t *testing.T) {
	app := servertest.New(t, servertest.Options{OrgName: "Acme Corp"})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	_, page := app.Get(t, c, "/admin/settings")
	want := app.URL + "/o/acme-corp/login"
	if !strings.Contains(page, "<code>acme-corp</code>") || !strings.Contains(page, `<a href="`+want+`">`+want+`</a>`) {
		t.Fatalf("Details lack the URL name and sign-in page %s:\n%s", want, page)
	}
	if strings.Contains(page, `name="url_name"`) {
		t.Error("Details offer the URL name as a field")
	}

	form := url.Values{"name": {"Acme Labs"}, "sign_in_url": {"https://login.acme.test"}, "url_name": {"stolen"},
		"password_min_length": {"15"}, "lockout_threshold": {"5"}, "lockout_minutes": {"15"}, "session_idle_minutes": {"120"},
		"session_absolute_hours": {"12"}, "remember_me_idle_days": {"7"}, "remember_me_days": {"30"},
		"registration_hours": {"168"}, "unlinked_removal_days": {"30"}}
	if resp, body := app.Post(t, c, "/admin/settings", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save Details: %d\n%s", resp.StatusCode, body)
	}
	if o := organisation(t, app); o.Name != "Acme Labs" || o.URLName != "acme-corp" {
		t.Errorf("after a rename: %q with URL name %q, want Acme Labs with acme-corp", o.Name, o.URLName)
	}
	_, page = app.Get(t, c, "/admin/settings")
	if !strings.Contains(page, "https://login.acme.test/o/acme-corp/login") {
		t.Errorf("the sign-in page is not on the organisation's sign-in URL:\n%s", page)
	}

	token := apiToken(t, app, "settings", access.SettingsRead, access.SettingsWrite)
	if status, out := callAPI(t, app, token, "GET", "/api/v1/settings", ""); status != http.StatusOK || out["url_name"] != "acme-corp" {
		t.Errorf("API settings: %d %v", status, out)
	}
	if status, out := callAPI(t, app, token, "PATCH", "/api/v1/settings", `{"url_name":"acme-corp","lockout_threshold":6}`); status != http.StatusOK ||
		out["lockout_threshold"] != float64(6) {
		t.Errorf("PATCH repeating the URL name: %d %v", status, out)
	}
	status, out := callAPI(t, app, token, "PATCH", "/api/v1/settings", `{"url_name":"acme","lockout_threshold":7}`)
	if fields, _ := out["fields"].(map[string]any); status != http.StatusUnprocessableEntity || fields["url_name"] == nil {
		t.Errorf("PATCH changing the URL name: %d %v", status, out)
	}
	if o := organisation(t, app); o.URLName != "acme-corp" || o.Settings.LockoutThreshold != 6 {
		t.Errorf("after the refused PATCH: URL name %q, lockout threshold %d", o.URLName, o.Settings.LockoutThreshold)
	}
}

// TestSetURLName is the operators' change: validated, refused when taken,
// recorded once (after the owner's member-add).
func TestSetURLName(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	svc := &admin.Service{Store: app.DB, Now: app.Clock.Now}
	other := servertest.NewOrganisation(t, app.DB, "Globex", nil)
	for urlName, want := range map[string]string{
		"Acme":   `such as "acme"`,
		"api":    "is reserved",
		"globex": `URL name "globex" belongs to another organisation`,
	} {
		var refused *admin.Refused
		if err := svc.SetURLName(ctx, app.Org.ID, urlName); !errors.As(err, &refused) || !strings.Contains(refused.Fields["url_name"], want) {
			t.Errorf("%q: got %v, want url_name: %q", urlName, err, want)
		}
	}
	if err := svc.SetURLName(ctx, app.Org.ID, "acme-research"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetURLName(ctx, app.Org.ID, "acme-research"); err != nil {
		t.Fatal(err)
	}
	if o := organisation(t, app); o.URLName != "acme-research" {
		t.Errorf("URL name %q", o.URLName)
	}
	if o, _ := app.DB.OrganisationByID(ctx, other.ID); o.URLName != "globex" {
		t.Errorf("Globex's URL name changed to %q", o.URLName)
	}
	if kinds := auditKinds(t, app, ""); len(kinds) != 2 || kinds[0] != "settings-change: URL name acme → acme-research" {
		t.Errorf("audit: %v", kinds)
	}
}
