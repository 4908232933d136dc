// Package loginservicetest runs the whole chain of a login service in
// tests: one server with two organisations, Acme, whose members may sign
// in with the login service "NIH Network Login", and Upstream, the IMS
// Login organisation that service is, through its OpenID Connect provider.
package loginservicetest

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"imslogin/internal/loginservice"
	"imslogin/internal/membership"
	"imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

// Chain is the server, Upstream with its member jdoe, and Acme's login
// service.
type Chain struct {
	App      *servertest.App
	Upstream store.Organisation
	JDoe     store.Member // Upstream's member, whose account signs in to Acme
	Service  store.LoginService
}

// New starts the chain on SQLite.
func New(t testing.TB) *Chain {
	t.Helper()
	return NewOn(t, servertest.Options{})
}

// NewOn starts the chain on the server opts describe (its database).
func NewOn(t testing.TB, opts servertest.Options) *Chain {
	t.Helper()
	app := servertest.New(t, opts)
	ctx := context.Background()
	members := &membership.Service{Store: app.DB, Hasher: app.Server.Hasher, Now: app.Clock.Now}
	up, err := members.CreateOrganisation(ctx, "Upstream")
	if err != nil {
		t.Fatal(err)
	}
	ch := &Chain{App: app, Upstream: up}
	ch.JDoe = ch.AddUpstreamMember(t, "jdoe@upstream.test")
	admin := app.Server.LoginServices
	by := loginservice.By{OrgID: app.Org.ID, Actor: "test"}
	ls, err := admin.Create(ctx, by, loginservice.Input{Name: "NIH Network Login", Issuer: app.URL + "/o/upstream",
		ClientID: "pending", Secret: "pending", Scopes: []string{"openid", "email"}, UsernameClaim: "email", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	portals := app.Server.Portals
	_, creds, err := portals.Create(ctx, portal.By{OrgID: up.ID, Actor: "test"}, portal.Input{Name: "Acme sign-in",
		RedirectURIs: []string{app.URL + loginservice.CallbackPath("acme", ls.ID)}, Confidential: true, FirstParty: true,
		Access: store.PortalAccessAll})
	if err != nil {
		t.Fatal(err)
	}
	in := loginservice.Input{Name: ls.Name, Issuer: ls.Issuer, ClientID: creds.ClientID, Secret: creds.Secret,
		Scopes: ls.Scopes, UsernameClaim: ls.UsernameClaim, Enabled: true}
	if ch.Service, err = admin.Update(ctx, by, ls.ID, in); err != nil {
		t.Fatal(err)
	}
	return ch
}

// AddUpstreamMember adds an active member of Upstream with servertest.Password.
func (ch *Chain) AddUpstreamMember(t testing.TB, email string) store.Member {
	t.Helper()
	members := &membership.Service{Store: ch.App.DB, Hasher: ch.App.Server.Hasher, Now: ch.App.Clock.Now}
	m, err := members.AddMember(context.Background(), membership.NewMember{Organisation: ch.Upstream.Name, Email: email,
		Name: "Upstream " + email, Role: store.RoleMember, Password: servertest.Password, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var metaRefresh = regexp.MustCompile(`<meta http-equiv="refresh" content="0; url=([^"]+)">`)

// ToCallback runs a sign-in with the login service from the button on
// Acme's sign-in page up to the callback, as jdoe, and returns the
// callback's address without visiting it.
func (ch *Chain) ToCallback(t testing.TB, c *http.Client) string {
	t.Helper()
	_, page := ch.Get(t, c, "/o/acme/login")
	start := loginservice.StartPath("acme", ch.Service.ID)
	if !strings.Contains(page, `href="`+start+`"`) || !strings.Contains(page, "NIH Network Login") {
		t.Fatalf("no button for the login service on the sign-in page:\n%s", page)
	}
	return ch.ToCallbackFrom(t, c, start, ch.JDoe.Email)
}

// ToCallbackFrom follows target (a link that starts a sign-in with the
// login service), signing in at Upstream as email if asked, up to the
// callback.
func (ch *Chain) ToCallbackFrom(t testing.TB, c *http.Client, target, email string) string {
	t.Helper()
	for range 12 {
		if strings.Contains(target, "/login-services/") && strings.Contains(target, "/callback") {
			return target
		}
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		if u.Path == "/o/upstream/login" {
			resp, body := ch.App.Post(t, c, u.Path, url.Values{"email": {email},
				"password": {servertest.Password}, "return_to": {u.Query().Get("return_to")}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in at Upstream: %d\n%s", resp.StatusCode, body)
			}
			target = resp.Header.Get("Location")
			continue
		}
		resp, body := ch.Get(t, c, target)
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

// Get fetches a path or address with the browser.
func (ch *Chain) Get(t testing.TB, c *http.Client, target string) (*http.Response, string) {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = ch.App.URL + target
	}
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// WhoAmI is who the browser is signed in as ("" when nobody).
func (ch *Chain) WhoAmI(t testing.TB, c *http.Client) string {
	t.Helper()
	resp, body := ch.Get(t, c, "/whoami")
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return body
}
