package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"imslogin/internal/access"
	"imslogin/internal/admin"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// signedIn adds a member with edit applied and signs them in.
func signedIn(t *testing.T, app *servertest.App, email string, edit func(*store.Member)) (*http.Client, store.Member) {
	t.Helper()
	m := app.AddMember(t, email, edit)
	c := app.Browser(t)
	app.SignIn(t, c, email)
	return c, m
}

// customRole creates a custom role with perms.
func customRole(t *testing.T, app *servertest.App, name string, perms ...access.Permission) store.CustomRole {
	t.Helper()
	r := store.CustomRole{OrgID: app.Org.ID, Name: name, Permissions: access.Of(perms...).Names(), CreatedAt: app.Clock.Now()}
	if err := app.DB.CreateRole(context.Background(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// apiToken creates an API token for the app's organisation.
func apiToken(t *testing.T, app *servertest.App, name string, perms ...access.Permission) string {
	t.Helper()
	svc := &admin.Service{Store: app.DB, Now: app.Clock.Now}
	var names []string
	for _, p := range perms {
		names = append(names, string(p))
	}
	raw, _, err := svc.CreateToken(context.Background(), admin.Actor{OrgID: app.Org.ID, Label: "test", Perms: access.All, Owner: true},
		admin.TokenInput{Name: name, Permissions: names})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// callAPI sends a JSON request with a bearer token and decodes the answer.
func callAPI(t *testing.T, app *servertest.App, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, app.URL+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

func member(t *testing.T, app *servertest.App, id int64) store.Member {
	t.Helper()
	m, err := app.DB.MemberByID(context.Background(), app.Org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func organisation(t *testing.T, app *servertest.App) store.Organisation {
	t.Helper()
	o, err := app.DB.OrganisationByID(context.Background(), app.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func auditKinds(t *testing.T, app *servertest.App, email string) []string {
	t.Helper()
	events, err := app.DB.AuditEvents(context.Background(), app.Org.ID, store.AuditFilter{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind+": "+e.Detail)
	}
	return kinds
}
