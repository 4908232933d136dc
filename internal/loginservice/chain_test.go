package loginservice_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"imslogin/internal/audit"
	"imslogin/internal/loginservice"
	"imslogin/internal/membership"
	"imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// chain is a server with two organisations: Acme, whose members sign in
// with the login service "NIH Network Login", and Upstream, the IMS Login
// organisation that service is (through its OpenID Connect provider).
type chain struct {
	app      *servertest.App
	upstream store.Organisation
	jdoe     store.Member // Upstream's member
	service  store.LoginService
	admin    *loginservice.Service
}

func newChain(t *testing.T) *chain {
	t.Helper()
	app := servertest.New(t, servertest.Options{})
	ctx := context.Background()
	members := &membership.Service{Store: app.DB, Hasher: app.Server.Hasher, Now: app.Clock.Now}
	up, err := members.CreateOrganisation(ctx, "Upstream")
	if err != nil {
		t.Fatal(err)
	}
	jdoe, err := members.AddMember(ctx, membership.NewMember{Organisation: up.Name, Email: "jdoe@upstream.test",
		Name: "Jo Doe", Role: store.RoleMember, Password: servertest.Password, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	admin := app.Server.LoginServices
	by := loginservice.By{OrgID: app.Org.ID, Actor: "test"}
	ls, err := admin.Create(ctx, by, loginservice.Input{Name: "NIH Network Login", Issuer: app.URL + "/o/upstream",
		ClientID: "pending", Secret: "pending", Scopes: []string{"openid", "email"}, UsernameClaim: "email", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	portals := &portal.Service{Store: app.DB, PublicURL: app.URL, Now: app.Clock.Now}
	_, creds, err := portals.Create(ctx, portal.By{OrgID: up.ID, Actor: "test"}, portal.Input{Name: "Acme sign-in",
		RedirectURIs: []string{app.URL + loginservice.CallbackPath("acme", ls.ID)}, Confidential: true, FirstParty: true,
		Access: store.PortalAccessAll})
	if err != nil {
		t.Fatal(err)
	}
	in := loginservice.Input{Name: ls.Name, Issuer: ls.Issuer, ClientID: creds.ClientID, Secret: creds.Secret,
		Scopes: ls.Scopes, UsernameClaim: ls.UsernameClaim, Enabled: true}
	if ls, err = admin.Update(ctx, by, ls.ID, in); err != nil {
		t.Fatal(err)
	}
	return &chain{app: app, upstream: up, jdoe: jdoe, service: ls, admin: admin}
}

var metaRefresh = regexp.MustCompile(`<meta http-equiv="refresh" content="0; url=([^"]+)">`)

// toCallback runs a sign-in with the login service in browser c from
// Acme's sign-in page up to the callback, signing in at Upstream if asked,
// and returns the callback's address without visiting it.
func (ch *chain) toCallback(t *testing.T, c *http.Client) string {
	t.Helper()
	_, page := ch.app.Get(t, c, "/o/acme/login")
	start := loginservice.StartPath("acme", ch.service.ID)
	if !strings.Contains(page, `href="`+start+`"`) || !strings.Contains(page, "NIH Network Login") {
		t.Fatalf("no button for the login service on the sign-in page:\n%s", page)
	}
	target := start
	for range 12 {
		if strings.Contains(target, "/login-services/") && strings.Contains(target, "/callback") {
			return target
		}
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		if u.Path == "/o/upstream/login" {
			resp, body := ch.app.Post(t, c, u.Path, url.Values{"email": {ch.jdoe.Email},
				"password": {servertest.Password}, "return_to": {u.Query().Get("return_to")}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in at Upstream: %d\n%s", resp.StatusCode, body)
			}
			target = resp.Header.Get("Location")
			continue
		}
		resp, body := get(t, c, ch.app.URL, target)
		switch {
		case resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusFound:
			target = resp.Header.Get("Location")
		case metaRefresh.MatchString(body):
			target = html.UnescapeString(metaRefresh.FindStringSubmatch(body)[1])
		default:
			t.Fatalf("GET %s: %d\n%s", target, resp.StatusCode, body)
		}
	}
	t.Fatal("too many redirects")
	return ""
}

func get(t *testing.T, c *http.Client, base, target string) (*http.Response, string) {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = base + target
	}
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// subjectOf reads the subject of the last refused account from the audit log.
func (ch *chain) deniedSubject(t *testing.T) string {
	t.Helper()
	events, err := ch.app.DB.AuditEvents(context.Background(), ch.app.Org.ID, store.AuditFilter{Kind: audit.LoginServiceDenied})
	if err != nil || len(events) == 0 {
		t.Fatalf("no login-service-denied entry: %v", err)
	}
	_, sub, _ := strings.Cut(events[0].Detail, "subject ")
	return sub
}

func (ch *chain) link(t *testing.T, m store.Member, subject string) {
	t.Helper()
	err := ch.app.DB.LinkIdentity(context.Background(), store.MemberIdentity{OrgID: ch.app.Org.ID, MemberID: m.ID,
		ServiceID: ch.service.ID, Subject: subject, Username: "jdoe@upstream.test", LinkedAt: ch.app.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
}

func whoAmI(t *testing.T, ch *chain, c *http.Client) string {
	t.Helper()
	resp, body := ch.app.Get(t, c, "/whoami")
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return body
}

func TestSignInThroughAnotherOrganisation(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	callback := ch.toCallback(t, c)
	resp, body := get(t, c, ch.app.URL, callback)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Access Denied") ||
		!strings.Contains(body, "jdoe@upstream.test") || !strings.Contains(body, "NIH Network Login") ||
		!strings.Contains(body, "Step 2") {
		t.Fatalf("unlinked account: %d, want Access Denied naming the account and the service\n%s", resp.StatusCode, body)
	}
	if who := whoAmI(t, ch, c); strings.Contains(who, "ana@acme.test") {
		t.Fatalf("an unlinked account signed in: %s", who)
	}
	ch.link(t, ch.app.Member, ch.deniedSubject(t))

	c = ch.app.Browser(t)
	resp, body = get(t, c, ch.app.URL, ch.toCallback(t, c))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("linked account: %d %s, want the Dashboard\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if who := whoAmI(t, ch, c); !strings.Contains(who, "ana@acme.test") {
		t.Errorf("after the callback, /whoami says %q, want Ana of Acme", who)
	}
}

func TestNeverLinkedByMatchingEmail(t *testing.T) {
	ch := newChain(t)
	// An Acme member with the same email as the Upstream account.
	ch.app.AddMember(t, "jdoe@upstream.test", nil)
	c := ch.app.Browser(t)
	resp, body := get(t, c, ch.app.URL, ch.toCallback(t, c))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Access Denied") {
		t.Fatalf("an account whose email matches a member's: %d, want Access Denied\n%s", resp.StatusCode, body)
	}
	if who := whoAmI(t, ch, c); who != "" && strings.Contains(who, "acme") {
		t.Errorf("signed in by email: %s", who)
	}
}

func TestCallbackReplayedOrFromAnotherBrowser(t *testing.T) {
	ch := newChain(t)
	c := ch.app.Browser(t)
	callback := ch.toCallback(t, c)
	if resp, _ := get(t, c, ch.app.URL, callback); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unlinked callback: %d, want 403", resp.StatusCode)
	}
	ch.link(t, ch.app.Member, ch.deniedSubject(t))

	// The first sign-in's callback was used above: run another.
	c = ch.app.Browser(t)
	callback = ch.toCallback(t, c)
	thief := ch.app.Browser(t)
	if resp, body := get(t, thief, ch.app.URL, callback); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback in another browser: %d, want 400\n%s", resp.StatusCode, body)
	}
	if who := whoAmI(t, ch, thief); who != "" {
		t.Errorf("the other browser is signed in: %s", who)
	}

	c = ch.app.Browser(t)
	callback = ch.toCallback(t, c)
	if resp, _ := get(t, c, ch.app.URL, callback); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use of a callback: %d, want a sign-in", resp.StatusCode)
	}
	fresh := ch.app.Browser(t)
	for _, ck := range c.Jar.Cookies(mustURL(ch.app.URL + loginservice.CallbackPath("acme", ch.service.ID))) {
		fresh.Jar.SetCookies(mustURL(ch.app.URL+loginservice.CallbackPath("acme", ch.service.ID)), []*http.Cookie{ck})
	}
	if resp, body := get(t, fresh, ch.app.URL, callback); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d, want 400\n%s", resp.StatusCode, body)
	}
}

func TestCallbackForAnotherServiceRefused(t *testing.T) {
	ch := newChain(t)
	other, err := ch.admin.Create(context.Background(), loginservice.By{OrgID: ch.app.Org.ID, Actor: "test"},
		loginservice.Input{Name: "Employee Login", Issuer: ch.service.Issuer, ClientID: "x", Secret: "y", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	c := ch.app.Browser(t)
	callback := ch.toCallback(t, c)
	moved := strings.Replace(callback, loginservice.CallbackPath("acme", ch.service.ID), loginservice.CallbackPath("acme", other.ID), 1)
	if resp, body := get(t, c, ch.app.URL, moved); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("state of one service at another's callback: %d, want 400\n%s", resp.StatusCode, body)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
