package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

const xss = `<script>alert(1)</script>`

// TestStoredXSSRendersAsText puts markup in a name and about me, and looks
// at every place they are shown: pages, API and the invitation email.
func TestStoredXSSRendersAsText(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	owner := app.Browser(t)
	app.SignIn(t, owner, app.Member.Email)
	resp, body := app.Post(t, owner, "/profile", url.Values{"name": {"Ana " + xss}, "about_me": {"About " + xss}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("profile: got %d\n%s", resp.StatusCode, body)
	}
	app.Post(t, owner, "/admin/members", url.Values{"name": {"Eve " + xss}, "email": {"eve@acme.test"}, "role": {"member"}})
	eve, _ := app.DB.MemberByEmail(ctx, app.Org.ID, "eve@acme.test")
	if resp, _ := app.Post(t, owner, "/admin/roles", url.Values{"name": {"Role " + xss}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create role: %d", resp.StatusCode)
	}
	if _, body := app.Get(t, owner, "/admin/roles"); !strings.Contains(body, "The role has been created.") {
		t.Error("role creation is not confirmed")
	}
	for _, path := range []string{"/dashboard", "/profile", "/admin/members", fmt.Sprintf("/admin/members/%d", app.Member.ID),
		fmt.Sprintf("/admin/members/%d", eve.ID), "/admin/roles", "/admin/audit"} {
		_, body := app.Get(t, owner, path)
		if strings.Contains(body, xss) {
			t.Errorf("%s shows the script as markup", path)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the name as text", path)
		}
	}
	token := apiToken(t, app, "reader", access.MembersRead)
	req, _ := http.NewRequest("GET", app.URL+"/api/v1/members", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("API content type %q", ct)
	}
	var raw json.RawMessage
	json.NewDecoder(res.Body).Decode(&raw)
	if strings.Contains(string(raw), "<script>") || !strings.Contains(string(raw), `\u003cscript\u003e`) {
		t.Errorf("API answer carries raw markup: %s", raw)
	}
	mail, _ := app.DB.OrganisationMail(ctx, app.Org.ID, 10)
	if len(mail) != 1 || strings.Contains(mail[0].HTML, xss) || !strings.Contains(mail[0].HTML, "&lt;script&gt;") {
		t.Errorf("invitation email HTML: %+v", mail)
	}
}

func TestTeamMembersSearchSortAndPages(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	for i := range 7 {
		app.AddMember(t, fmt.Sprintf("p%d@acme.test", i), func(m *store.Member) {
			m.Name = fmt.Sprintf("Person %d", i)
			m.EmailVerified = i%2 == 0
		})
	}
	names := regexp.MustCompile(`<a href="/admin/members/\d+">([^<]+)</a>`)
	page := func(path string) ([]string, string) {
		resp, body := app.Get(t, c, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		var out []string
		for _, m := range names.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out, body
	}
	got, body := page("/admin/members?sort=name&limit=3")
	if !slices.Equal(got, []string{"Ana Lima", "Person 0", "Person 1"}) {
		t.Errorf("first page: %v", got)
	}
	if !strings.Contains(body, `<span class="visually-hidden">Email verified</span>`) {
		t.Error("no verified check mark")
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next page link")
	}
	got, body = page(strings.ReplaceAll(next[1], "&amp;", "&"))
	if !slices.Equal(got, []string{"Person 2", "Person 3", "Person 4"}) {
		t.Errorf("second page: %v", got)
	}
	prev := regexp.MustCompile(`href="([^"]+)" rel="prev"`).FindStringSubmatch(body)
	if prev == nil {
		t.Fatal("no previous page link")
	}
	if got, _ = page(strings.ReplaceAll(prev[1], "&amp;", "&")); !slices.Equal(got, []string{"Ana Lima", "Person 0", "Person 1"}) {
		t.Errorf("back to the first page: %v", got)
	}
	if got, _ = page("/admin/members?sort=name&desc=1&limit=2"); !slices.Equal(got, []string{"Person 6", "Person 5"}) {
		t.Errorf("descending: %v", got)
	}
	if got, _ = page("/admin/members?q=PERSON+3"); !slices.Equal(got, []string{"Person 3"}) {
		t.Errorf("search: %v", got)
	}
	if got, _ = page("/admin/members?after=garbage&sort=bogus"); len(got) != 8 {
		t.Errorf("a mangled cursor and sort should show the first page, got %v", got)
	}
}

func TestAuditLogPageAndChart(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	now := app.Clock.Now()
	for i, kind := range []string{"signin-failure", "signin-failure", "lockout", "signin-success"} {
		e := store.AuditEvent{OrgID: app.Org.ID, At: now.Add(-time.Duration(i) * 24 * time.Hour), Kind: kind, Email: "x@acme.test"}
		app.DB.AppendAuditEvent(ctx, &e)
	}
	old := store.AuditEvent{OrgID: app.Org.ID, At: now.Add(-40 * 24 * time.Hour), Kind: "lockout", Email: "old@acme.test"}
	app.DB.AppendAuditEvent(ctx, &old)
	resp, body := app.Get(t, c, "/admin/audit")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("audit: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "<svg") || strings.Count(body, "<rect") != 90 {
		t.Errorf("chart: want an SVG with 30 days × 3 bars, got %d bars", strings.Count(body, "<rect"))
	}
	if !regexp.MustCompile(`[12] sign-ins, 2 failed sign-ins, 1 lockouts`).MatchString(body) {
		t.Errorf("chart summary missing or wrong:\n%s", regexp.MustCompile(`<desc[^>]*>[^<]*`).FindString(body))
	}
	_, body = app.Get(t, c, "/admin/audit?kind=lockout")
	if !strings.Contains(body, "old@acme.test") || strings.Contains(body, "<td>Signin failure</td>") {
		t.Error("filter by kind does not filter")
	}
	_, body = app.Get(t, c, "/admin/audit?email=OLD@acme.test&since="+now.Add(-30*24*time.Hour).Format(time.DateOnly))
	if strings.Contains(body, "old@acme.test</td>") {
		t.Error("filter by date does not filter")
	}
	if resp, _ := app.Get(t, c, "/admin/audit?kind=nonsense"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown kind: got %d", resp.StatusCode)
	}
	if resp, _ := app.Get(t, c, "/admin/audit?since=yesterday"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad date: got %d", resp.StatusCode)
	}
}

func TestAPITokensFromThePage(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	app.SignIn(t, c, app.Member.Email)
	resp, body := app.Post(t, c, "/admin/tokens", url.Values{"name": {"provisioning"}, "permissions": {"members.read", "members.write"}})
	token := regexp.MustCompile(`id="new-token" aria-labelledby="new-token-label">(ims_[A-Za-z0-9_-]{43})<`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || token == nil {
		t.Fatalf("create token: %d\n%s", resp.StatusCode, body)
	}
	if stored, _ := app.DB.APITokens(context.Background(), app.Org.ID); len(stored) != 1 || strings.Contains(string(stored[0].TokenHash), token[1]) {
		t.Fatal("the token is not stored, or stored in the clear")
	}
	if _, again := app.Get(t, c, "/admin/tokens"); strings.Contains(again, token[1]) {
		t.Error("the token is shown a second time")
	}
	status, out := callAPI(t, app, token[1], "POST", "/api/v1/members", `{"name":"Dev Ops","email":"devops@acme.test","role":"administrator"}`)
	if status != http.StatusForbidden {
		t.Errorf("token adding an administrator without their permissions: %d %v", status, out)
	}
	status, out = callAPI(t, app, token[1], "POST", "/api/v1/members", `{"name":"Dev Ops","email":"devops@acme.test"}`)
	if status != http.StatusCreated || out["status"] != "invited" || out["role"] != "member" {
		t.Errorf("token adding a member: %d %v", status, out)
	}
	status, out = callAPI(t, app, token[1], "GET", "/api/v1/members?q=devops", "")
	if status != http.StatusOK || out["total"] != float64(1) {
		t.Errorf("list: %d %v", status, out)
	}
	stored, _ := app.DB.APITokens(context.Background(), app.Org.ID)
	app.Post(t, c, fmt.Sprintf("/admin/tokens/%d/revoke", stored[0].ID), nil)
	if status, _ := callAPI(t, app, token[1], "GET", "/api/v1/members", ""); status != http.StatusUnauthorized {
		t.Errorf("revoked token: got %d, want 401", status)
	}
	// A token may not carry a permission its creator lacks.
	adminC, _ := signedIn(t, app, "admin@acme.test", func(m *store.Member) { m.Permissions = "tokens.manage" })
	if resp, _ := app.Post(t, adminC, "/admin/tokens", url.Values{"name": {"x"}, "permissions": {"settings.write"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("token beyond the creator's permissions: got %d", resp.StatusCode)
	}
}

// TestOpenAPIDescribesEveryRoute checks the document against the routes.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	resp, body := app.Get(t, app.Browser(t), "/api/v1/openapi.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := regexp.MustCompile(`h\.api\(mux, "(\w+) ([^"]+)", access\.(\w+)`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 10 {
		t.Fatalf("found only %d routes in api.go", len(routes))
	}
	for _, r := range routes {
		op, ok := doc.Paths[r[2]][strings.ToLower(r[1])]
		if !ok {
			t.Errorf("%s %s is not in openapi.json", r[1], r[2])
		}
		perm := permissionOf(r[3])
		if op["x-permission"] != perm {
			t.Errorf("%s %s: openapi.json says permission %v, the route needs %s", r[1], r[2], op["x-permission"], perm)
		}
	}
	actions := regexp.MustCompile(`\{Action(\w+), access\.(\w+)\}`).FindAllStringSubmatch(string(mustRead(t, "actions.go")), -1)
	for _, a := range actions {
		found := false
		for path, ops := range doc.Paths {
			if strings.HasPrefix(path, "/api/v1/members/{id}/") && ops["post"]["x-permission"] == permissionOf(a[2]) {
				found = true
			}
		}
		if !found {
			t.Errorf("action %s is not described with permission %s", a[1], permissionOf(a[2]))
		}
	}
}

func permissionOf(constName string) string {
	for _, info := range access.Catalogue {
		words := strings.Split(string(info.Name), ".")
		name := ""
		for _, w := range words {
			name += strings.ToUpper(w[:1]) + w[1:]
		}
		if name == constName {
			return string(info.Name)
		}
	}
	return "?" + constName
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
