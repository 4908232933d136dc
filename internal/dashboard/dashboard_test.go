package dashboard_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// TestDashboardListsThePortalsAMemberMayOpen: each allowed portal with a
// home URL links there; others are not shown.
func TestDashboardListsThePortalsAMemberMayOpen(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	bo := app.AddMember(t, "bo@acme.test", nil)
	svc := app.Server.Portals
	by := portal.By{OrgID: app.Org.ID, Actor: "test"}
	for _, in := range []portal.Input{
		{Name: "Everyone's Wiki", HomeURL: "https://wiki.acme.test/"},
		{Name: "Owners' Ledger", HomeURL: "https://ledger.acme.test/", Access: store.PortalAccessRoles, Roles: []string{"owner"}},
		{Name: "Bo's Lab", HomeURL: "https://lab.acme.test/start", Access: store.PortalAccessMembers, MemberIDs: []int64{bo.ID}},
		{Name: "Back End", Access: store.PortalAccessAll}, // no home URL
	} {
		in.RedirectURIs = []string{"https://app.acme.test/cb"}
		in.Confidential = true
		if _, _, err := svc.Create(context.Background(), by, in); err != nil {
			t.Fatal(err)
		}
	}
	for email, want := range map[string][]string{
		"bo@acme.test":  {"https://wiki.acme.test/", "https://lab.acme.test/start"},
		"ana@acme.test": {"https://wiki.acme.test/", "https://ledger.acme.test/"},
	} {
		c := app.Browser(t)
		app.SignIn(t, c, email)
		_, body := app.Get(t, c, "/dashboard")
		for _, href := range []string{"https://wiki.acme.test/", "https://ledger.acme.test/", "https://lab.acme.test/start"} {
			shown := strings.Contains(body, `href="`+href+`"`)
			allowed := strings.Contains(strings.Join(want, " "), href)
			if shown != allowed {
				t.Errorf("%s: %s shown %v, want %v", email, href, shown, allowed)
			}
		}
		if strings.Contains(body, "Back End") {
			t.Errorf("%s: a portal without a home URL is listed", email)
		}
		if !strings.Contains(body, "Your portals") {
			t.Errorf("%s: no portals section", email)
		}
	}
	// A member allowed nowhere sees no portals section.
	app.AddMember(t, "cy@acme.test", nil)
	if err := app.DB.DeletePortal(context.Background(), app.Org.ID, firstPortal(t, app, "Everyone's Wiki").ID); err != nil {
		t.Fatal(err)
	}
	c := app.Browser(t)
	app.SignIn(t, c, "cy@acme.test")
	if _, body := app.Get(t, c, "/dashboard"); strings.Contains(body, `class="tiles portals"`) || strings.Contains(body, "acme.test/start") {
		t.Error("a member allowed into no portal sees portals")
	}
}

func firstPortal(t *testing.T, app *servertest.App, name string) store.Portal {
	t.Helper()
	list, err := app.DB.Portals(context.Background(), app.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no portal %q", name)
	return store.Portal{}
}
