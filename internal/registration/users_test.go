package registration_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

func (e *env) usersPath() string {
	return "/admin/portals/" + strconv.FormatInt(e.portal.ID, 10) + "/users"
}

func TestUsersOfAPortal(t *testing.T) {
	e := newEnv(t)
	admin := e.App.Browser(t)
	e.App.SignIn(t, admin, "ana@acme.test")
	resp, body := e.App.Post(t, admin, e.usersPath(), url.Values{"name": {"Jane Roe"}, "email": {"jane@acme.test"}, "role": {"member"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("register from the page: %d\n%s", resp.StatusCode, body)
	}
	jane, err := e.App.DB.MemberByEmail(context.Background(), e.App.Org.ID, "jane@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	_, page := e.App.Get(t, admin, e.usersPath())
	for _, want := range []string{"Username/ID (Login Service)", "ana@acme.test (IMS Login Service)",
		"(This account is not linked)… 30 days until removal", "Send New Registration"} {
		if !strings.Contains(page, want) {
			t.Errorf("the Users page lacks %q:\n%s", want, page)
		}
	}
	_, step2 := e.links(t, "jane@acme.test")
	if _, resp, _ := e.linkWith(t, step2, e.JDoe.Email); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("Step 2 failed")
	}
	if _, page = e.App.Get(t, admin, e.usersPath()); !strings.Contains(page, "jdoe@upstream.test (NIH Network Login)") {
		t.Errorf("the linked account is not shown:\n%s", page)
	}

	// A bad address in one row: nothing is sent, not even the good row's.
	bob, _, bobLink := e.register(t, "bob@acme.test")
	before, _ := e.App.DB.RecentMail(context.Background(), 100)
	id, bobID := strconv.FormatInt(jane.ID, 10), strconv.FormatInt(bob.ID, 10)
	resp, body = e.App.Post(t, admin, e.usersPath()+"/save", url.Values{"send": {id, bobID},
		"email-" + id: {"jane.new@acme.test"}, "email-" + bobID: {"not an address"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "valid email address") {
		t.Errorf("a bad address: %d\n%s", resp.StatusCode, body)
	}
	if after, _ := e.App.DB.RecentMail(context.Background(), 100); len(after) != len(before) {
		t.Errorf("a refused Save sent %d emails", len(after)-len(before))
	}
	if m, _ := e.App.DB.MemberByID(context.Background(), e.App.Org.ID, jane.ID); m.Email != "jane@acme.test" {
		t.Errorf("a refused Save changed the address to %s", m.Email)
	}

	// Send New Registration, to a new address for Jane, voids the older links.
	resp, body = e.App.Post(t, admin, e.usersPath()+"/save", url.Values{"send": {id, bobID}, "email-" + id: {"jane.new@acme.test"},
		"email-" + bobID: {"bob@acme.test"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Send New Registration: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := e.Get(t, e.App.Browser(t), bobLink); resp.StatusCode != http.StatusGone {
		t.Errorf("the older link after Send New Registration: %d, want 410", resp.StatusCode)
	}
	e.links(t, "jane.new@acme.test")
	if details := auditDetails(t, e, audit.RegistrationSend); !containsPrefix(details, "to jane.new@acme.test for Grants Portal") {
		t.Errorf("audit: %v", details)
	}
}

func TestResetDaysUntilRemoval(t *testing.T) {
	e := newEnv(t)
	bob, _, _ := e.register(t, "bob@acme.test")
	e.App.Clock.Advance(10 * 24 * time.Hour)
	admin := e.App.Browser(t)
	e.App.SignIn(t, admin, "ana@acme.test")
	if _, page := e.App.Get(t, admin, e.usersPath()); !strings.Contains(page, "20 days until removal") {
		t.Fatalf("after 10 days the page does not say 20 days are left:\n%s", page)
	}
	resp, body := e.App.Post(t, admin, e.usersPath()+"/save", url.Values{"reset": {strconv.FormatInt(bob.ID, 10)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, body)
	}
	if _, page := e.App.Get(t, admin, e.usersPath()); !strings.Contains(page, "30 days until removal") {
		t.Errorf("after the reset the page does not say 30 days:\n%s", page)
	}
	if r, _ := e.App.DB.RegistrationOf(context.Background(), e.App.Org.ID, bob.ID); !r.CountFrom.Equal(e.App.Clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("count starts at %v", r.CountFrom)
	}
	if details := auditDetails(t, e, audit.UnlinkedRemoval); !containsPrefix(details, "days until account removal reset") {
		t.Errorf("audit: %v", details)
	}
}

func TestUsersPageNeedsThePermission(t *testing.T) {
	e := newEnv(t)
	e.App.AddMember(t, "mo@acme.test", func(m *store.Member) { m.Permissions = "portals.manage" })
	c := e.App.Browser(t)
	e.App.SignIn(t, c, "mo@acme.test")
	if resp, _ := e.App.Get(t, c, e.usersPath()); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without portals.register: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.App.Post(t, c, e.usersPath(), url.Values{"name": {"X"}, "email": {"x@acme.test"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("register without portals.register: %d, want 403", resp.StatusCode)
	}
}

func TestSiteAdministratorFindsTheUsersPages(t *testing.T) {
	e := newEnv(t)
	e.App.AddMember(t, "sa@acme.test", func(m *store.Member) { m.Permissions = "portals.register" })
	c := e.App.Browser(t)
	e.App.SignIn(t, c, "sa@acme.test")
	resp, _ := e.App.Get(t, c, "/admin")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/portal-users" {
		t.Fatalf("/admin: %d %s, want the Users of portals", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := e.App.Get(t, c, "/admin/portal-users")
	if !strings.Contains(page, `href="`+e.usersPath()+`"`) || !strings.Contains(page, "Grants Portal") {
		t.Errorf("the list lacks the portal's Users page:\n%s", page)
	}
	if resp, _ := e.App.Get(t, c, e.usersPath()); resp.StatusCode != http.StatusOK {
		t.Errorf("Users page: %d", resp.StatusCode)
	}
}
