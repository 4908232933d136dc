package branding_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// postBranding sends Details → Branding's form as a browser would.
func postBranding(t *testing.T, app *servertest.App, c *http.Client, fields map[string]string, logo []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if logo != nil {
		fw, _ := mw.CreateFormFile("logo", "logo.png")
		fw.Write(logo)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/admin/settings/branding", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", app.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func logoPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 90, 30)))
	return b.Bytes()
}

// TestBrandingReachesTheOrganisationsPages: an Owner sets a colour and a
// logo; the organisation's sign-in page and its members' pages use them,
// another organisation's do not; a colour too light is refused with
// nothing saved; a Member may not change it.
func TestBrandingReachesTheOrganisationsPages(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	owner := app.Browser(t)
	app.SignIn(t, owner, app.Member.Email)

	resp, body := postBranding(t, app, owner, map[string]string{"accent_choice": "custom", "accent": "#ffee00"}, logoPNG(t))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="accent-error"`) || !strings.Contains(body, "Choose a darker colour.") {
		t.Fatalf("a light colour: %d\n%s", resp.StatusCode, body)
	}
	if _, err := app.DB.Branding(context.Background(), app.Org.ID); err != store.ErrNotFound {
		t.Errorf("a refused form saved something: %v", err)
	}

	if resp, body := postBranding(t, app, owner, map[string]string{"accent_choice": "custom", "accent": "#7A1FA2"}, logoPNG(t)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	css := "/brand/" + app.Org.URLName + "/style.css"
	if _, got := app.Get(t, app.Browser(t), css); !strings.Contains(got, "--accent: #7a1fa2") || !strings.Contains(got, "logo.png") {
		t.Errorf("the organisation's stylesheet: %q", got)
	}
	if resp, got := app.Get(t, app.Browser(t), "/brand/"+app.Org.URLName+"/logo.png"); resp.StatusCode != http.StatusOK || !bytes.HasPrefix([]byte(got), []byte("\x89PNG")) {
		t.Errorf("the logo: %d", resp.StatusCode)
	}
	for name, c := range map[string]*http.Client{"sign-in page": app.Browser(t), "dashboard": owner} {
		path := "/o/" + app.Org.URLName + "/login"
		if name == "dashboard" {
			path = "/dashboard"
		}
		if _, page := app.Get(t, c, path); !strings.Contains(page, `<link rel="stylesheet" href="`+css+`">`) {
			t.Errorf("the %s does not use the organisation's branding", name)
		}
	}
	if _, page := app.Get(t, app.Browser(t), "/login"); strings.Contains(page, "/brand/") {
		t.Error("the sign-in page of no organisation in particular uses one's branding")
	}
	events, _ := app.DB.AuditEvents(context.Background(), app.Org.ID, store.AuditFilter{Kind: "settings-change", Limit: 5})
	if len(events) == 0 || !strings.Contains(events[0].Detail, "#7a1fa2") {
		t.Errorf("no audit entry: %+v", events)
	}

	if resp, body := app.Post(t, owner, "/admin/members", url.Values{"name": {"Nia"}, "email": {"nia@acme.test"}, "role": {"member"},
		"licensed": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a member: %d\n%s", resp.StatusCode, body)
	}
	mail, _ := app.DB.OrganisationMail(context.Background(), app.Org.ID, 5)
	if len(mail) == 0 || !strings.Contains(mail[0].HTML, "background:#7a1fa2") {
		t.Errorf("the invitation does not wear the organisation's colour")
	}

	app.AddMember(t, "bo@acme.test", nil)
	member := app.Browser(t)
	app.SignIn(t, member, "bo@acme.test")
	if resp, _ := postBranding(t, app, member, map[string]string{"accent_choice": "standard"}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a Member changed the branding: %d", resp.StatusCode)
	}
}
