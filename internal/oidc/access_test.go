package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"imslogin/internal/audit"
	registration "imslogin/internal/portal"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// registeredEnv is an env whose portals are registered as an
// administrator registers them (the real registry and access rules).
type registeredEnv struct {
	*env
	svc *registration.Service
	by  registration.By
}

// newRegisteredEnv is a registeredEnv on db (nil: a fresh SQLite database).
func newRegisteredEnv(t *testing.T, db *sqlstore.DB) *registeredEnv {
	t.Helper()
	app := servertest.New(t, servertest.Options{DB: db})
	issuer := app.URL + "/o/acme"
	provider, err := gooidc.NewProvider(context.Background(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	return &registeredEnv{env: &env{app: app, issuer: issuer, provider: provider, reg: &registry{secrets: map[string]string{}}},
		svc: app.Server.Portals,
		by:  registration.By{OrgID: app.Org.ID, Actor: "command line"}}
}

// register registers a confidential, first-party portal open as in says
// and returns it with a client configuration asking for offline access.
func (e *registeredEnv) register(t *testing.T, in registration.Input) (store.Portal, *oauth2.Config) {
	t.Helper()
	in.RedirectURIs, in.Confidential, in.FirstParty = []string{redirectURI}, true, true
	p, creds, err := e.svc.Create(context.Background(), e.by, in)
	if err != nil {
		t.Fatal(err)
	}
	return p, &oauth2.Config{ClientID: creds.ClientID, ClientSecret: creds.Secret, Endpoint: e.provider.Endpoint(),
		RedirectURL: redirectURI, Scopes: []string{gooidc.ScopeOpenID, gooidc.ScopeOfflineAccess}}
}

// update changes who may use p, as an administrator does.
func (e *registeredEnv) update(t *testing.T, p store.Portal, access store.PortalAccess, roles []string, members []int64) {
	t.Helper()
	in := registration.InputOf(p)
	in.Access, in.Roles, in.MemberIDs, in.MemberEmails = access, roles, members, nil
	if _, _, err := e.svc.Update(context.Background(), e.by, p.ID, in); err != nil {
		t.Fatal(err)
	}
}

// grantOf is a member's tokens of one portal, kept current by use.
type grantOf struct {
	conf *oauth2.Config
	tok  *oauth2.Token
	id   idClaims
}

// works refreshes the grant (keeping the new pair) and reports whether
// both the access token (at userinfo and introspection) and the refresh
// token still work.
func (g *grantOf) works(t *testing.T, e *registeredEnv) bool {
	t.Helper()
	ctx := context.Background()
	_, infoErr := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(g.tok))
	status, intro := postForm(t, e.issuer+"/oauth/introspect", g.conf.ClientID, g.conf.ClientSecret, url.Values{"token": {g.tok.AccessToken}})
	active := status == http.StatusOK && intro["active"] == true
	if (infoErr == nil) != active {
		t.Errorf("%s: userinfo %v but introspection active=%v", g.conf.ClientID, infoErr, intro["active"])
	}
	next, err := refresh(ctx, g.conf, g.tok.RefreshToken)
	if err == nil {
		g.tok = next
	}
	if (err == nil) != active {
		t.Errorf("%s: the refresh token works=%v, the access token active=%v", g.conf.ClientID, err == nil, active)
	}
	return err == nil
}

// TestLosingAccessToAPortalEndsItsTokens: a portal's access rule narrowed,
// a member's role changed, a member taken off a portal's chosen members:
// each ends at once that member's access and refresh tokens of that
// portal, and codes not yet exchanged, audited, and the portal is told of
// their session; their other portals and other members are untouched.
func TestLosingAccessToAPortalEndsItsTokens(t *testing.T) {
	sqltest.Each(t, losingAccessEndsTokens)
}

func losingAccessEndsTokens(t *testing.T, db *sqlstore.DB) {
	e := newRegisteredEnv(t, db)
	bo := e.app.AddMember(t, "bo@acme.test", nil)
	payrollEnd := newPortal(t) // Payroll's back-channel logout endpoint
	payroll, payrollConf := e.register(t, registration.Input{Name: "Payroll", Access: store.PortalAccessRoles,
		Roles: []string{"owner", "member"}, BackchannelLogoutURI: payrollEnd.srv.URL + "/backchannel"})
	_, mailConf := e.register(t, registration.Input{Name: "Mail", Access: store.PortalAccessAll})
	board, boardConf := e.register(t, registration.Input{Name: "Board", Access: store.PortalAccessMembers,
		MemberIDs: []int64{e.app.Member.ID, bo.ID}})
	signIn := func(conf *oauth2.Config, email string) *grantOf {
		_, tok, id := e.loginAs(t, conf, email)
		return &grantOf{conf: conf, tok: tok, id: id}
	}
	anaPayroll, anaMail, anaBoard := signIn(payrollConf, "ana@acme.test"), signIn(mailConf, "ana@acme.test"), signIn(boardConf, "ana@acme.test")
	boPayroll, boBoard := signIn(payrollConf, "bo@acme.test"), signIn(boardConf, "bo@acme.test")
	ended := func() int { return e.auditKinds(t)[audit.TokensEnded] }

	// Payroll narrowed to Members: Ana, an Owner, loses it.
	e.update(t, payroll, store.PortalAccessRoles, []string{"member"}, nil)
	if anaPayroll.works(t, e) {
		t.Error("Ana's Payroll tokens outlived Payroll's narrowing to Members")
	}
	if !anaMail.works(t, e) || !boPayroll.works(t, e) {
		t.Error("Ana's Mail tokens or Bo's Payroll tokens ended too")
	}
	if n := ended(); n != 1 {
		t.Errorf("%d %s entries after the narrowing, want 1", n, audit.TokensEnded)
	}
	if n := e.deliver(t); n != 1 {
		t.Errorf("%d back-channel logouts delivered after the narrowing, want 1 (Ana's session, to Payroll)", n)
	}
	if got := payrollEnd.received(); len(got) != 1 {
		t.Errorf("Payroll was told %d times, want once", len(got))
	} else if c := e.verifyLogout(t, got[0], payrollConf.ClientID); c.Sub != anaPayroll.id.Sub || c.Sid != anaPayroll.id.Sid {
		t.Errorf("Payroll told sub %q sid %q, want Ana's %q %q", c.Sub, c.Sid, anaPayroll.id.Sub, anaPayroll.id.Sid)
	}

	// Bo made an Administrator: Payroll (Members only) is closed to him, Board is not.
	admin := e.app.Browser(t)
	e.app.SignIn(t, admin, "ana@acme.test")
	if resp, body := e.app.Post(t, admin, "/admin/members/"+strconv.FormatInt(bo.ID, 10)+"/access",
		url.Values{"role": {string(store.RoleAdministrator)}, "licensed": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change Bo's role: %d\n%s", resp.StatusCode, body)
	}
	if boPayroll.works(t, e) {
		t.Error("Bo's Payroll tokens outlived his new role")
	}
	if e.deliver(t); len(payrollEnd.received()) != 2 {
		t.Errorf("Payroll was told %d times in all, want 2 (Ana, then Bo)", len(payrollEnd.received()))
	}
	if !boBoard.works(t, e) {
		t.Error("Bo's Board tokens ended with his role, though Board lists him")
	}
	if n := ended(); n != 2 {
		t.Errorf("%d %s entries after the role change, want 2", n, audit.TokensEnded)
	}

	// Ana taken off Board's members, with a code not yet exchanged.
	_, verifier, code := e.login(t, boardConf)
	e.update(t, board, store.PortalAccessMembers, nil, []int64{bo.ID})
	if anaBoard.works(t, e) {
		t.Error("Ana's Board tokens outlived her removal from its members")
	}
	if _, err := boardConf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("Ana's Board code issued before her removal: %v, want invalid_grant", err)
	}
	if !boBoard.works(t, e) {
		t.Error("Bo's Board tokens ended with Ana's removal")
	}
	if n := ended(); n != 3 {
		t.Errorf("%d %s entries after the removal, want 3", n, audit.TokensEnded)
	}
}

// TestRefreshRefusedOnceThePortalNoLongerAdmits: a refresh token left by
// a grant that raced an access change (here: the change written straight
// to the store, ending nothing) is refused at its next use.
func TestRefreshRefusedOnceThePortalNoLongerAdmits(t *testing.T) {
	e := newRegisteredEnv(t, nil)
	bo := e.app.AddMember(t, "bo@acme.test", nil)
	board, boardConf := e.register(t, registration.Input{Name: "Board", Access: store.PortalAccessMembers,
		MemberIDs: []int64{e.app.Member.ID, bo.ID}})
	_, tok, _ := e.loginAs(t, boardConf, "bo@acme.test")
	board, err := e.app.DB.PortalByID(context.Background(), e.app.Org.ID, board.ID)
	if err != nil {
		t.Fatal(err)
	}
	board.MemberIDs = []int64{e.app.Member.ID}
	if err := e.app.DB.UpdatePortal(context.Background(), board); err != nil {
		t.Fatal(err)
	}
	if _, err := refresh(context.Background(), boardConf, tok.RefreshToken); err == nil {
		t.Error("Bo's refresh token works on a portal that no longer lists him")
	}
}
