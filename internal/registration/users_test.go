package registration_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/portal"
	"imslogin/internal/registration"
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

func TestUsersPageIsPaged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	portals := e.App.Server.Portals
	p, _, err := portals.Create(ctx, portal.By{OrgID: e.App.Org.ID, Actor: "test"}, portal.Input{Name: "Everyone",
		RedirectURIs: []string{"http://127.0.0.1:9/cb"}, FirstParty: true, Access: store.PortalAccessAll})
	if err != nil {
		t.Fatal(err)
	}
	var last store.Member
	for i := range registration.MaxUsers + 5 {
		last = store.Member{OrgID: e.App.Org.ID, Email: fmt.Sprintf("user%03d@acme.test", i), Name: fmt.Sprintf("User %03d", i),
			Role: store.RoleMember, Status: store.StatusActive, Licensed: true, CreatedAt: e.App.Clock.Now()}
		if err := e.App.DB.CreateMember(ctx, &last); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.App.Browser(t)
	e.App.SignIn(t, admin, "ana@acme.test")
	path := "/admin/portals/" + strconv.FormatInt(p.ID, 10) + "/users"
	seen := map[string]int{}
	rows := regexp.MustCompile(`name="email-\d+" value="([^"]+)"`)
	next := regexp.MustCompile(`href="(/admin/portals/\d+/users\?after=\d+)" rel="next"`)
	target, pages := path, 0
	for target != "" && pages < 5 {
		pages++
		resp, page := e.App.Get(t, admin, target)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", target, resp.StatusCode, page)
		}
		found := rows.FindAllStringSubmatch(page, -1)
		if len(found) > registration.MaxUsers {
			t.Fatalf("page %d lists %d members, more than %d", pages, len(found), registration.MaxUsers)
		}
		for _, m := range found {
			seen[m[1]]++
		}
		target = ""
		if m := next.FindStringSubmatch(page); m != nil {
			target = html.UnescapeString(m[1])
		}
	}
	members, err := e.App.DB.ListMembers(ctx, e.App.Org.ID, store.MemberQuery{Limit: 201})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 2 || len(seen) < registration.MaxUsers+5 || len(seen) != countAll(t, e, len(members)) {
		t.Fatalf("%d pages listing %d members, want 2 pages listing every member", pages, len(seen))
	}
	for email, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", email, n)
		}
	}

	// A member of the second page can be changed from it.
	id := strconv.FormatInt(last.ID, 10)
	resp, body := e.App.Post(t, admin, path+"/save", url.Values{"after": {afterOf(t, e, admin, path)}, "send": {id},
		"email-" + id: {last.Email}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "after=") {
		t.Fatalf("Save on the second page: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// countAll counts the organisation's members, reading past the first 201.
func countAll(t *testing.T, e *env, first int) int {
	t.Helper()
	n, cursor := 0, (*store.MemberCursor)(nil)
	for {
		rows, err := e.App.DB.ListMembers(context.Background(), e.App.Org.ID, store.MemberQuery{Sort: store.SortName,
			After: cursor, Limit: 201})
		if err != nil {
			t.Fatal(err)
		}
		n += len(rows)
		if len(rows) < 201 {
			return n
		}
		c := rows[len(rows)-1].Cursor(store.SortName)
		cursor = &c
	}
}

// afterOf reads where the second page of Users starts.
func afterOf(t *testing.T, e *env, c *http.Client, path string) string {
	t.Helper()
	_, page := e.App.Get(t, c, path)
	m := regexp.MustCompile(`users\?after=(\d+)" rel="next"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no next page")
	}
	return m[1]
}
