package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

func portalForm(name string, edit func(url.Values)) url.Values {
	f := url.Values{"name": {name}, "redirect_uris": {"https://wiki.acme.test/callback\nhttp://127.0.0.1:9000/cb"},
		"post_logout_redirect_uris": {"https://wiki.acme.test/"}, "home_url": {"https://wiki.acme.test/"},
		"client_type": {"confidential"}, "first_party": {"on"}, "access": {"all"}, "access_token_minutes": {"10"},
		"id_token_minutes": {"10"}, "refresh_token_hours": {"720"}, "refresh_grace_seconds": {"0"}, "signing_algorithm": {"ES256"},
		"require_pkce": {"on"}, "allowed_scopes": portal.Scopes}
	if edit != nil {
		edit(f)
	}
	return f
}

var secretPattern = regexp.MustCompile(`ims_cs_[A-Za-z0-9_-]{43}`)

func portals(t *testing.T, app *servertest.App) []store.Portal {
	t.Helper()
	list, err := app.DB.Portals(context.Background(), app.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func portalAudit(t *testing.T, app *servertest.App) []string {
	t.Helper()
	events, err := app.DB.AuditEvents(context.Background(), app.Org.ID, store.AuditFilter{Kind: audit.PortalChange})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Actor+": "+e.Detail)
	}
	return out
}

func secretWorks(t *testing.T, app *servertest.App, p store.Portal, secret string) bool {
	t.Helper()
	return secretWorksAt(t, app, p, secret, app.Clock.Now())
}

func secretWorksAt(t *testing.T, app *servertest.App, p store.Portal, secret string, at time.Time) bool {
	t.Helper()
	ok, err := portal.CheckSecret(context.Background(), app.DB, p, secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestOwnerRegistersAPortal: the answer to the form shows the client ID,
// the secret (once) and the issuer; the secret works; the change is audited.
func TestOwnerRegistersAPortal(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	if _, body := app.Get(t, c, "/admin/members"); !strings.Contains(body, `href="/admin/portals"`) {
		t.Error("no Portals tab for an Owner")
	}
	if resp, body := app.Get(t, c, "/admin/portals/new"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Register a portal") {
		t.Fatalf("new portal form: %d", resp.StatusCode)
	}
	resp, body := app.Post(t, c, "/admin/portals", portalForm("Team Wiki", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("register: %d\n%s", resp.StatusCode, body)
	}
	list := portals(t, app)
	if len(list) != 1 {
		t.Fatalf("portals: %+v", list)
	}
	p := list[0]
	secret := secretPattern.FindString(body)
	issuer := app.URL + "/o/acme"
	for _, want := range []string{"shown only once", p.ClientID, issuer} {
		if !strings.Contains(body, want) {
			t.Errorf("the answer lacks %q", want)
		}
	}
	if secret == "" || !secretWorks(t, app, p, secret) {
		t.Errorf("secret %q on the page does not work", secret)
	}
	if p.Name != "Team Wiki" || len(p.RedirectURIs) != 2 || !p.FirstParty || !p.Confidential || p.HomeURL != "https://wiki.acme.test/" ||
		p.AccessTokenLifetime != 10*time.Minute || p.RefreshTokenLifetime != 720*time.Hour {
		t.Errorf("stored: %+v", p)
	}
	if got := portalAudit(t, app); len(got) != 1 || !strings.HasPrefix(got[0], `ana@acme.test: portal "Team Wiki" registered`) {
		t.Errorf("audit: %q", got)
	}
	_, page := app.Get(t, c, fmt.Sprintf("/admin/portals/%d", p.ID))
	if strings.Contains(page, secret) || !strings.Contains(page, p.ClientID) {
		t.Error("the portal's page shows the secret again, or not its client ID")
	}
	if _, list := app.Get(t, c, "/admin/portals"); !strings.Contains(list, "Team Wiki") || !strings.Contains(list, issuer) {
		t.Error("the list does not show the portal and the issuer")
	}
}

func TestPortalPagesNeedPortalsManage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	member, _ := signedIn(t, app, "bo@acme.test", nil)
	for _, path := range []string{"/admin/portals", "/admin/portals/new"} {
		if resp, _ := app.Get(t, member, path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s as a Member: %d, want 403", path, resp.StatusCode)
		}
	}
	if resp, _ := app.Post(t, member, "/admin/portals", portalForm("Wiki", nil)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("register as a Member: %d, want 403", resp.StatusCode)
	}
	if len(portals(t, app)) != 0 {
		t.Error("a Member registered a portal")
	}
	// The permission alone opens them, and only that tab.
	role := customRole(t, app, "Integrator", access.PortalsManage)
	integrator, _ := signedIn(t, app, "ivo@acme.test", func(m *store.Member) { m.RoleID = role.ID })
	resp, body := app.Get(t, integrator, "/admin")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/portals" {
		t.Errorf("/admin for portals.manage alone: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body = app.Post(t, integrator, "/admin/portals", portalForm("Wiki", nil)); resp.StatusCode != http.StatusOK {
		t.Fatalf("register with portals.manage: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, `href="/admin/members"`) {
		t.Error("the Team Members tab is shown without members.read")
	}
	p := portals(t, app)[0]
	for _, req := range []struct{ path, want string }{
		{fmt.Sprintf("/admin/portals/%d", p.ID), ""},
		{fmt.Sprintf("/admin/portals/%d/rotate-secret", p.ID), "overlap_hours=1"},
		{fmt.Sprintf("/admin/portals/%d/delete", p.ID), ""},
	} {
		form, _ := url.ParseQuery(req.want)
		if resp, _ := app.Post(t, member, req.path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s as a Member: %d, want 403", req.path, resp.StatusCode)
		}
	}
	if got := portals(t, app); len(got) != 1 || got[0].UpdatedAt != p.UpdatedAt {
		t.Errorf("a Member changed the portal: %+v", got)
	}
}

// TestPortalFormRefusesBadInput: every problem is shown beside its field
// and nothing is written.
func TestPortalFormRefusesBadInput(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	resp, body := app.Post(t, c, "/admin/portals", portalForm("", func(f url.Values) {
		f.Set("redirect_uris", "http://wiki.acme.test/callback")
		f.Set("home_url", "javascript:alert(1)")
		f.Set("access_token_minutes", "ten")
		f.Set("refresh_grace_seconds", "600")
		f.Set("access", "members")
		f.Set("members", "nobody@acme.test")
	}))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad input: %d", resp.StatusCode)
	}
	for _, want := range []string{"Nothing was saved", "Give the portal a name.", "plain http is allowed only for",
		`The scheme &#34;javascript&#34; is not allowed`, "Enter a whole number of minutes.", "from 0 seconds to 1 minute",
		"There is no team member nobody@acme.test"} {
		if !strings.Contains(body, want) {
			t.Errorf("the answer lacks %q", want)
		}
	}
	if !strings.Contains(body, "http://wiki.acme.test/callback</textarea>") {
		t.Error("the form does not keep what was typed")
	}
	if len(portals(t, app)) != 0 || len(portalAudit(t, app)) != 0 {
		t.Error("refused input was written")
	}
}

func TestEditRotateAndDeleteAPortal(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	_, body := app.Post(t, c, "/admin/portals", portalForm("Wiki", nil))
	first := secretPattern.FindString(body)
	p := portals(t, app)[0]
	path := fmt.Sprintf("/admin/portals/%d", p.ID)
	app.AddMember(t, "bo@acme.test", nil)
	resp, _ := app.Post(t, c, path, portalForm("Team Wiki", func(f url.Values) {
		f.Set("access", "members")
		f.Set("members", "bo@acme.test\nana@acme.test\n")
		f.Set("signing_algorithm", "RS256")
	}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := app.Get(t, c, path); !strings.Contains(page, "The portal has been saved.") ||
		!strings.Contains(page, "ana@acme.test\nbo@acme.test</textarea>") {
		t.Error("the saved portal's page does not confirm or show the members")
	}
	p = portals(t, app)[0]
	if p.Name != "Team Wiki" || p.Access != store.PortalAccessMembers || len(p.MemberIDs) != 2 || p.SigningAlgorithm != "RS256" {
		t.Errorf("after the save: %+v", p)
	}
	resp, body = app.Post(t, c, path+"/rotate-secret", url.Values{"overlap_hours": {"2"}})
	second := secretPattern.FindString(body)
	if resp.StatusCode != http.StatusOK || second == "" || second == first || !strings.Contains(body, "keeps working until") {
		t.Fatalf("rotate: %d, secret %q", resp.StatusCode, second)
	}
	if !secretWorks(t, app, p, first) || !secretWorks(t, app, p, second) {
		t.Error("during the overlap the old and the new secret must both work")
	}
	later := app.Clock.Now().Add(2 * time.Hour)
	if secretWorksAt(t, app, p, first, later) || !secretWorksAt(t, app, p, second, later) {
		t.Error("after the overlap only the new secret works")
	}
	if resp, body := app.Post(t, c, path+"/rotate-secret", url.Values{"overlap_hours": {"721"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "The overlap must be from 0") || secretPattern.MatchString(body) {
		t.Errorf("an overlap beyond 30 days: %d", resp.StatusCode)
	}
	if resp, page := app.Get(t, c, path+"/delete"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Delete Team Wiki?") {
		t.Errorf("delete confirmation: %d", resp.StatusCode)
	}
	if len(portals(t, app)) != 1 {
		t.Fatal("opening the confirmation deleted the portal")
	}
	resp, _ = app.Post(t, c, path+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || len(portals(t, app)) != 0 {
		t.Errorf("delete: %d, %d portals left", resp.StatusCode, len(portals(t, app)))
	}
	if resp, _ := app.Get(t, c, path); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted portal's page: %d, want 404", resp.StatusCode)
	}
	got := portalAudit(t, app)
	if len(got) != 4 || !strings.Contains(got[0], "deleted") || !strings.Contains(got[1], "client secret rotated") ||
		!strings.Contains(got[2], `changed: name "Team Wiki"`) {
		t.Errorf("audit: %q", got)
	}
}

func TestPortalsAPI(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	token := apiToken(t, app, "provisioning", access.PortalsManage)
	status, out := callAPI(t, app, token, "POST", "/api/v1/portals",
		`{"name": "Wiki", "redirect_uris": ["https://wiki.acme.test/cb"], "home_url": "https://wiki.acme.test/", "access_token_lifetime": 300}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, out)
	}
	secret, _ := out["client_secret"].(string)
	id := int64(out["id"].(float64))
	if !secretPattern.MatchString(secret) || out["issuer"] != app.URL+"/o/acme" || out["confidential"] != true ||
		out["access_token_lifetime"] != 300.0 || out["refresh_token_lifetime"] != 2592000.0 || out["signing_algorithm"] != "ES256" {
		t.Errorf("create answer: %v", out)
	}
	p, err := app.DB.PortalByClientID(context.Background(), out["client_id"].(string))
	if err != nil || !secretWorks(t, app, p, secret) {
		t.Fatalf("the answered secret does not work: %v", err)
	}
	path := fmt.Sprintf("/api/v1/portals/%d", id)
	if status, got := callAPI(t, app, token, "GET", path, ""); status != http.StatusOK || got["client_secret"] != nil || got["name"] != "Wiki" {
		t.Errorf("get: %d %v", status, got)
	}
	if status, got := callAPI(t, app, token, "GET", "/api/v1/portals", ""); status != http.StatusOK || len(got["portals"].([]any)) != 1 {
		t.Errorf("list: %d %v", status, got)
	}
	status, out = callAPI(t, app, token, "PUT", path, `{"first_party": true, "access": "roles", "roles": ["administrator"]}`)
	if status != http.StatusOK || out["name"] != "Wiki" || out["first_party"] != true || fmt.Sprint(out["roles"]) != "[administrator]" ||
		out["access_token_lifetime"] != 300.0 {
		t.Errorf("partial update: %d %v", status, out)
	}
	bo := app.AddMember(t, "bo@acme.test", nil)
	status, out = callAPI(t, app, token, "PUT", path, `{"access": "members", "member_ids": [`+fmt.Sprint(app.Member.ID)+`]}`)
	if status != http.StatusOK || fmt.Sprint(out["member_ids"]) != fmt.Sprintf("[%d]", app.Member.ID) {
		t.Errorf("members by ID: %d %v", status, out)
	}
	status, out = callAPI(t, app, token, "PUT", path, `{"member_emails": ["bo@acme.test"]}`)
	if status != http.StatusOK || fmt.Sprint(out["member_ids"]) != fmt.Sprintf("[%d]", bo.ID) {
		t.Errorf("members by email replace the chosen members: %d %v", status, out)
	}
	callAPI(t, app, token, "PUT", path, `{"access": "roles", "roles": ["administrator"]}`)
	status, out = callAPI(t, app, token, "PUT", path, `{"redirect_uris": ["https://*.acme.test/cb"], "refresh_grace": 3600}`)
	fields, _ := out["fields"].(map[string]any)
	if status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(fields["redirect_uris"]), "wildcards") ||
		fields["refresh_grace"] == nil {
		t.Errorf("refused update: %d %v", status, out)
	}
	if status, _ := callAPI(t, app, token, "PUT", path, `{"nmae": "typo"}`); status != http.StatusBadRequest {
		t.Errorf("unknown field: %d, want 400", status)
	}
	if got, _ := app.DB.PortalByID(context.Background(), app.Org.ID, id); len(got.RedirectURIs) != 1 || got.RedirectURIs[0] != "https://wiki.acme.test/cb" {
		t.Errorf("a refused update changed the portal: %+v", got)
	}
	status, out = callAPI(t, app, token, "POST", path+"/rotate-secret", `{"overlap": 0}`)
	if status != http.StatusOK || !secretPattern.MatchString(fmt.Sprint(out["client_secret"])) || out["previous_secret_expires_at"] != nil {
		t.Errorf("rotate: %d %v", status, out)
	}
	if secretWorks(t, app, p, secret) {
		t.Error("a rotation without overlap left the old secret working")
	}
	if status, out := callAPI(t, app, token, "POST", path+"/rotate-secret", ""); status != http.StatusOK || out["previous_secret_expires_at"] == nil {
		t.Errorf("rotate with the default overlap: %d %v", status, out)
	}
	reader := apiToken(t, app, "reader", access.MembersRead)
	for _, req := range [][2]string{{"GET", "/api/v1/portals"}, {"POST", "/api/v1/portals"}, {"DELETE", path}, {"POST", path + "/rotate-secret"}} {
		if status, _ := callAPI(t, app, reader, req[0], req[1], `{}`); status != http.StatusForbidden {
			t.Errorf("%s %s without portals.manage: %d, want 403", req[0], req[1], status)
		}
	}
	if status, _ := callAPI(t, app, token, "DELETE", path, ""); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status, _ := callAPI(t, app, token, "GET", path, ""); status != http.StatusNotFound {
		t.Errorf("get after delete: %d, want 404", status)
	}
	if got := portalAudit(t, app); len(got) != 8 || !strings.HasPrefix(got[0], "API token provisioning: ") {
		t.Errorf("audit: %q", got)
	}
}

// TestPortalFormPKCEAndScopes: a new portal's form has Require PKCE and
// every scope ticked, each scope described as members see it and openid
// not to be cleared; the choices are saved; a scope list the rules refuse
// is shown beside the scopes and nothing is saved.
func TestPortalFormPKCEAndScopes(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	_, page := app.Get(t, c, "/admin/portals/new")
	for _, want := range []string{`id="require_pkce" type="checkbox" name="require_pkce" value="on" aria-describedby="pkce-hint" checked>`,
		`<label for="require_pkce">Require PKCE</label>`, "Public portals always require it.",
		`id="scope-openid" type="checkbox" name="allowed_scopes" value="openid" aria-describedby="scope-openid-hint" checked disabled>`,
		`<input type="hidden" name="allowed_scopes" value="openid">`,
		`id="scope-roles" type="checkbox" name="allowed_scopes" value="roles" aria-describedby="scope-roles-hint" checked>`,
		`<p class="hint" id="scope-email-hint">Members see: “Your email address and whether it is verified”</p>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the new portal form lacks %s", want)
		}
	}
	resp, body := app.Post(t, c, "/admin/portals", portalForm("Wiki", func(f url.Values) {
		f.Del("require_pkce")
		f["allowed_scopes"] = []string{"openid", "email"}
	}))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("register: %d\n%s", resp.StatusCode, body)
	}
	p := portals(t, app)[0]
	if p.RequirePKCE || strings.Join(p.AllowedScopes, " ") != "openid email" {
		t.Errorf("stored: require PKCE %v, scopes %v; want off and [openid email]", p.RequirePKCE, p.AllowedScopes)
	}
	path := fmt.Sprintf("/admin/portals/%d", p.ID)
	_, page = app.Get(t, c, path)
	if !strings.Contains(page, `name="require_pkce" value="on" aria-describedby="pkce-hint">`) ||
		!strings.Contains(page, `value="email" aria-describedby="scope-email-hint" checked>`) ||
		!strings.Contains(page, `value="profile" aria-describedby="scope-profile-hint">`) {
		t.Error("the portal's page does not show its PKCE and scope settings")
	}
	for _, bad := range [][]string{nil, {"openid", "phone"}} {
		resp, body = app.Post(t, c, path, portalForm("Renamed", func(f url.Values) { f["allowed_scopes"] = bad }))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="field-error" id="allowed_scopes-error">`) ||
			!strings.Contains(body, `aria-describedby="scopes-hint allowed_scopes-error"`) {
			t.Errorf("scopes %q: %d, want the refusal beside the scopes", bad, resp.StatusCode)
		}
	}
	if _, list := app.Get(t, c, "/admin/portals"); !strings.Contains(list, "PKCE optional") ||
		!strings.Contains(list, `<td data-label="Scopes"><code>openid</code> <code>email</code></td>`) {
		t.Error("the list of portals does not show the PKCE and scope settings")
	}
	if got := portals(t, app)[0]; got.Name != "Wiki" || len(portalAudit(t, app)) != 1 {
		t.Errorf("a refused save changed the portal: %+v", got)
	}
	resp, _ = app.Post(t, c, path, portalForm("Wiki", func(f url.Values) { f["allowed_scopes"] = []string{"openid", "roles"} }))
	if p = portals(t, app)[0]; resp.StatusCode != http.StatusSeeOther || !p.RequirePKCE || strings.Join(p.AllowedScopes, " ") != "openid roles" {
		t.Errorf("save: %d, require PKCE %v, scopes %v", resp.StatusCode, p.RequirePKCE, p.AllowedScopes)
	}
}

// TestPortalsAPIPKCEAndScopes: require_pkce and allowed_scopes default to
// on and every scope, change on their own, and a bad list is refused by
// field with nothing written.
func TestPortalsAPIPKCEAndScopes(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	token := apiToken(t, app, "provisioning", access.PortalsManage)
	status, out := callAPI(t, app, token, "POST", "/api/v1/portals", `{"name": "Wiki", "redirect_uris": ["https://wiki.acme.test/cb"]}`)
	if status != http.StatusCreated || out["require_pkce"] != true || fmt.Sprint(out["allowed_scopes"]) != "[openid profile email offline_access roles]" {
		t.Fatalf("create with defaults: %d %v", status, out)
	}
	path := fmt.Sprintf("/api/v1/portals/%d", int64(out["id"].(float64)))
	status, out = callAPI(t, app, token, "PUT", path, `{"require_pkce": false, "allowed_scopes": ["email", "openid"]}`)
	if status != http.StatusOK || out["require_pkce"] != false || fmt.Sprint(out["allowed_scopes"]) != "[openid email]" || out["name"] != "Wiki" {
		t.Errorf("update: %d %v", status, out)
	}
	for _, body := range []string{`{"allowed_scopes": []}`, `{"allowed_scopes": ["openid", "admin"]}`, `{"name": "X", "allowed_scopes": ["email"]}`} {
		status, out = callAPI(t, app, token, "PUT", path, body)
		fields, _ := out["fields"].(map[string]any)
		if status != http.StatusUnprocessableEntity || fields["allowed_scopes"] == nil {
			t.Errorf("%s: %d %v, want allowed_scopes refused", body, status, out)
		}
	}
	if status, out = callAPI(t, app, token, "GET", path, ""); out["name"] != "Wiki" || fmt.Sprint(out["allowed_scopes"]) != "[openid email]" {
		t.Errorf("after refused updates: %v", out)
	}
	status, out = callAPI(t, app, token, "POST", "/api/v1/portals",
		`{"name": "Board", "confidential": false, "redirect_uris": ["https://board.acme.test/cb"], "require_pkce": false}`)
	if status != http.StatusCreated || out["require_pkce"] != true {
		t.Errorf("a public portal told not to require PKCE: %d %v, want it required", status, out)
	}
}

// TestPortalsOfAnotherOrganisation: an organisation's token finds nothing
// of another's portals, even by ID.
func TestPortalsOfAnotherOrganisation(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	token := apiToken(t, app, "provisioning", access.PortalsManage)
	other := store.Organisation{Name: "Globex", Settings: store.DefaultOrganisationSettings(), CreatedAt: app.Clock.Now()}
	if err := app.DB.CreateOrganisation(context.Background(), &other); err != nil {
		t.Fatal(err)
	}
	svc := app.Server.Portals
	theirs, _, err := svc.Create(context.Background(), portal.By{OrgID: other.ID, Actor: "test"},
		portal.Input{Name: "Globex Wiki", RedirectURIs: []string{"https://wiki.globex.test/cb"}, Confidential: true})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/portals/%d", theirs.ID)
	for _, req := range []struct{ method, path, body string }{{"GET", path, ""}, {"PUT", path, `{"name": "Mine"}`},
		{"DELETE", path, ""}, {"POST", path + "/rotate-secret", ""}} {
		if status, _ := callAPI(t, app, token, req.method, req.path, req.body); status != http.StatusNotFound {
			t.Errorf("%s %s of another organisation: %d, want 404", req.method, req.path, status)
		}
	}
	if _, list := callAPI(t, app, token, "GET", "/api/v1/portals", ""); len(list["portals"].([]any)) != 0 {
		t.Errorf("list shows another organisation's portals: %v", list)
	}
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	if resp, _ := app.Get(t, c, fmt.Sprintf("/admin/portals/%d", theirs.ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("page of another organisation's portal: %d, want 404", resp.StatusCode)
	}
	if got, err := app.DB.PortalByID(context.Background(), other.ID, theirs.ID); err != nil || got.Name != "Globex Wiki" {
		t.Errorf("their portal: %+v, %v", got, err)
	}
}

// TestPortalPageCountsItsMembers: a portal's page says how many members
// consented to it and how many hold its tokens still valid.
func TestPortalPageCountsItsMembers(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	app.Post(t, c, "/admin/portals", portalForm("Wiki", func(f url.Values) { f.Del("first_party") }))
	p := portals(t, app)[0]
	bo := app.AddMember(t, "bo@acme.test", nil)
	ctx, now := context.Background(), app.Clock.Now()
	for _, m := range []store.Member{app.Member, bo} {
		if err := app.DB.Consent(ctx, app.Org.ID, m.ID, p.ClientID, []string{"openid"}, now); err != nil {
			t.Fatal(err)
		}
	}
	tok := store.Token{OrgID: app.Org.ID, Kind: store.TokenRefresh, Hash: []byte("bo's refresh token hash"), Family: "f",
		ClientID: p.ClientID, MemberID: bo.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := app.DB.CreateTokens(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, page := app.Get(t, c, fmt.Sprintf("/admin/portals/%d", p.ID))
	for _, want := range []string{"<dt>Members who consented</dt><dd>2</dd>", "<dt>Members with active tokens</dt><dd>1</dd>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the portal's page lacks %q", want)
		}
	}
}
