package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"imslogin/internal/store"
)

// PortalAccessStore is a backend with portals and what members hold with
// them (grants, consents, session records), which change together.
type PortalAccessStore interface {
	store.Store
	store.Portals
	store.Grants
	store.Consents
	store.Logouts
}

// RunPortalAccess runs the cases where a portal's access rule or a
// member's role ends grants, and a portal's deletion takes its rows.
func RunPortalAccess(t *testing.T, newStore func(t *testing.T) PortalAccessStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s PortalAccessStore)
	}{
		{"EndLostAccess", testEndLostAccess},
		{"EndLostAccessIsolation", testEndLostAccessIsolation},
		{"DeletePortalTakesItsGrants", testDeletePortalTakesItsGrants},
		{"PortalUsage", testPortalUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

// grant gives member a refresh and an access token for clientID.
func grant(t *testing.T, s PortalAccessStore, orgID, memberID int64, clientID string) {
	t.Helper()
	for _, kind := range []string{store.TokenAccess, store.TokenRefresh} {
		secret := fmt.Sprintf("%s-%d-%s-%d", kind, memberID, clientID, orgID)
		tok := newToken(orgID, memberID, kind, secret, fmt.Sprintf("f-%d-%s", memberID, clientID))
		tok.ClientID = clientID
		if err := s.CreateTokens(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
}

// holds reports whether member still has clientID's refresh token.
func holds(s PortalAccessStore, orgID, memberID int64, clientID string) bool {
	secret := fmt.Sprintf("%s-%d-%s-%d", store.TokenRefresh, memberID, clientID, orgID)
	_, err := s.TokenByHash(context.Background(), orgID, store.TokenRefresh, tokenHash(secret))
	return err == nil
}

func endLost(t *testing.T, s PortalAccessStore, orgID, memberID int64, clientID string) []store.LostAccess {
	t.Helper()
	list, err := s.EndLostAccess(context.Background(), orgID, memberID, clientID, now)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func testEndLostAccess(t *testing.T, s PortalAccessStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	ana, bo, cy := NewMember(t, s, o.ID, "ana@acme.test"), NewMember(t, s, o.ID, "bo@acme.test"), NewMember(t, s, o.ID, "cy@acme.test")
	editors := store.CustomRole{OrgID: o.ID, Name: "Editors", CreatedAt: now}
	if err := s.CreateRole(ctx, &editors); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMemberAccess(ctx, o.ID, bo.ID, store.MemberAccess{Role: store.RoleMember, RoleID: editors.ID, Licensed: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMemberAccess(ctx, o.ID, cy.ID, store.MemberAccess{Role: store.RoleOwner, Licensed: true}); err != nil {
		t.Fatal(err)
	}
	wiki := newPortal(o.ID, "Wiki", "client-wiki")
	wiki.Access, wiki.Roles = store.PortalAccessRoles, []string{"member", store.CustomRoleKey(editors.ID)}
	wiki = createPortal(t, s, wiki)
	board := newPortal(o.ID, "Board", "client-board")
	board.Access, board.MemberIDs, board.BackchannelLogoutURI = store.PortalAccessMembers, []int64{ana.ID}, ""
	board = createPortal(t, s, board)
	createPortal(t, s, newPortal(o.ID, "Mail", "client-mail"))
	for _, g := range []struct {
		m      store.Member
		client string
	}{{ana, "client-wiki"}, {bo, "client-wiki"}, {ana, "client-board"}, {ana, "client-mail"}, {bo, "client-mail"}, {cy, "client-mail"}} {
		grant(t, s, o.ID, g.m.ID, g.client)
	}
	anaSession, boSession := newSession(t, s, ana, "ana", now), newSession(t, s, bo, "bo", now)
	for _, sp := range []struct {
		sess   int64
		client string
	}{{anaSession.ID, "client-wiki"}, {boSession.ID, "client-wiki"}, {anaSession.ID, "client-board"}} {
		if err := s.RecordSessionPortal(ctx, o.ID, sp.sess, sp.client); err != nil {
			t.Fatal(err)
		}
	}
	own := newToken(o.ID, 0, store.TokenAccess, "client-credentials", "cc")
	own.ClientID = "client-wiki"
	if err := s.CreateTokens(ctx, own); err != nil {
		t.Fatal(err)
	}
	code := newAuthRequest(o.ID, "bo-wiki")
	code.ClientID = "client-wiki"
	doneWithCode(t, s.(OIDCStore), code, bo.ID, "bo-wiki-code")
	if got := endLost(t, s, o.ID, 0, ""); len(got) != 0 {
		t.Fatalf("everyone is admitted, yet %+v ended", got)
	}

	// Wiki narrowed to Editors: Ana (a Member) loses it, Bo (an Editor) keeps it.
	wiki.Roles = []string{store.CustomRoleKey(editors.ID)}
	if err := s.UpdatePortal(ctx, wiki); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    store.Member
		kind string
		want bool
	}{{ana, store.TokenRefresh, false}, {bo, store.TokenRefresh, true}, {ana, store.TokenAccess, true}} {
		secret := fmt.Sprintf("%s-%d-%s-%d", c.kind, c.m.ID, "client-wiki", o.ID)
		h, err := s.HeldToken(ctx, o.ID, c.kind, tokenHash(secret), now)
		if err != nil || h.Admitted != c.want {
			t.Errorf("%s's %s token before the grants end: admitted %v, %v; want %v (only refresh tokens are checked)",
				c.m.Email, c.kind, h.Admitted, err, c.want)
		}
	}
	if got := endLost(t, s, o.ID, 0, "client-wiki"); !slices.Equal(got, []store.LostAccess{{MemberID: ana.ID, ClientID: "client-wiki", Tokens: 2, Logouts: 1}}) {
		t.Errorf("wiki narrowed to Editors: ended %+v, want Ana's 2 tokens and her session told", got)
	}
	queued, err := s.OrganisationLogouts(ctx, o.ID, 10)
	if err != nil || len(queued) != 1 || queued[0].MemberID != ana.ID || queued[0].SessionID != anaSession.ID ||
		queued[0].ClientID != "client-wiki" || queued[0].Status != store.MailPending || queued[0].JTI == "" {
		t.Errorf("logouts queued: %+v, %v; want one for Ana's session at the wiki", queued, err)
	}
	if holds(s, o.ID, ana.ID, "client-wiki") || !holds(s, o.ID, bo.ID, "client-wiki") || !holds(s, o.ID, ana.ID, "client-board") {
		t.Error("after the wiki narrowed: Ana's wiki token must end, Bo's and Ana's board token stay")
	}
	if _, err := s.TokenByHash(ctx, o.ID, store.TokenAccess, tokenHash("client-credentials")); err != nil {
		t.Errorf("the portal's own token ended: %v", err)
	}
	if _, err := s.AuthRequestByCode(ctx, o.ID, tokenHash("bo-wiki-code")); err != nil {
		t.Errorf("Bo's code, still admitted: %v", err)
	}

	// Bo made Owner: no longer an Editor, so the wiki's tokens and code end; Mail stays.
	if err := s.SetMemberAccess(ctx, o.ID, bo.ID, store.MemberAccess{Role: store.RoleOwner, Licensed: true}); err != nil {
		t.Fatal(err)
	}
	if got := endLost(t, s, o.ID, bo.ID, ""); !slices.Equal(got, []store.LostAccess{{MemberID: bo.ID, ClientID: "client-wiki", Tokens: 2, Logouts: 1}}) {
		t.Errorf("Bo's role changed: ended %+v, want Bo's 2 wiki tokens", got)
	}
	if _, err := s.AuthRequestByCode(ctx, o.ID, tokenHash("bo-wiki-code")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Bo's code not yet exchanged: %v, want it gone", err)
	}
	if !holds(s, o.ID, bo.ID, "client-mail") {
		t.Error("Bo's token of a portal open to all ended")
	}

	// Board's chosen members now Cy alone: Ana is taken off.
	board.MemberIDs = []int64{cy.ID}
	if err := s.UpdatePortal(ctx, board); err != nil {
		t.Fatal(err)
	}
	if got := endLost(t, s, o.ID, 0, "client-board"); !slices.Equal(got, []store.LostAccess{{MemberID: ana.ID, ClientID: "client-board", Tokens: 2}}) {
		t.Errorf("Ana taken off the board (no back-channel logout URI): ended %+v, want her 2 tokens, nobody told", got)
	}
	if sp, err := s.TakeSessionPortals(ctx, o.ID, ana.ID, 0); err != nil || len(sp) != 0 {
		t.Errorf("Ana's session records of portals she lost: %+v, %v; want them taken", sp, err)
	}
	for _, m := range []store.Member{ana, bo, cy} {
		if !holds(s, o.ID, m.ID, "client-mail") {
			t.Errorf("%s's token of a portal open to all ended", m.Email)
		}
	}
}

// testEndLostAccessIsolation: ending lost access in one organisation
// touches no other's tokens, even ones their portal would not admit.
func testEndLostAccessIsolation(t *testing.T, s PortalAccessStore) {
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	ana, bea := NewMember(t, s, a.ID, "ana@alpha.test"), NewMember(t, s, b.ID, "bea@beta.test")
	closed := newPortal(b.ID, "Closed", "client-closed")
	closed.Access, closed.Roles = store.PortalAccessRoles, []string{"owner"}
	createPortal(t, s, closed)
	grant(t, s, b.ID, bea.ID, "client-closed")
	grant(t, s, a.ID, ana.ID, "client-closed") // another organisation's client ID: admitted by nothing of Alpha's
	if got := endLost(t, s, a.ID, 0, ""); len(got) != 1 || got[0].MemberID != ana.ID {
		t.Errorf("Alpha: ended %+v, want Ana's tokens of a client Alpha has not", got)
	}
	if !holds(s, b.ID, bea.ID, "client-closed") {
		t.Error("Alpha's call ended Beta's tokens")
	}
	if got := endLost(t, s, b.ID, bea.ID, ""); len(got) != 1 || holds(s, b.ID, bea.ID, "client-closed") {
		t.Errorf("Beta: ended %+v, want Bea's tokens", got)
	}
}

func testDeletePortalTakesItsGrants(t *testing.T, s PortalAccessStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	ana := NewMember(t, s, o.ID, "ana@acme.test")
	sess := newSession(t, s, ana, "s1", now)
	wiki := createPortal(t, s, newPortal(o.ID, "Wiki", "client-wiki"))
	createPortal(t, s, newPortal(o.ID, "Mail", "client-mail"))
	for _, client := range []string{"client-wiki", "client-mail"} {
		grant(t, s, o.ID, ana.ID, client)
		if err := s.Consent(ctx, o.ID, ana.ID, client, []string{"openid", "email"}, now); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordSessionPortal(ctx, o.ID, sess.ID, client); err != nil {
			t.Fatal(err)
		}
		code := newAuthRequest(o.ID, "req-"+client)
		code.ClientID = client
		doneWithCode(t, s.(OIDCStore), code, ana.ID, "code-"+client)
	}
	if err := s.DeletePortal(ctx, o.ID, wiki.ID); err != nil {
		t.Fatal(err)
	}
	if holds(s, o.ID, ana.ID, "client-wiki") || !holds(s, o.ID, ana.ID, "client-mail") {
		t.Error("after deleting the wiki: its tokens must be gone, the mail portal's kept")
	}
	if list, err := s.PortalGrants(ctx, o.ID, ana.ID); err != nil || len(list) != 1 || list[0].ClientID != "client-mail" {
		t.Errorf("consents after deleting the wiki: %+v, %v; want the mail portal's alone", list, err)
	}
	if _, err := s.AuthRequestByCode(ctx, o.ID, tokenHash("code-client-wiki")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the wiki's code: %v, want it gone", err)
	}
	if sp, err := s.TakeSessionPortals(ctx, o.ID, ana.ID, sess.ID); err != nil || len(sp) != 1 || sp[0].ClientID != "client-mail" {
		t.Errorf("the session's portals: %+v, %v; want the mail portal alone", sp, err)
	}
	if err := s.DeletePortal(ctx, o.ID, wiki.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting it again: %v, want ErrNotFound", err)
	}
}

// testPortalUsage counts members who consented and who hold live tokens:
// not a use without consent, a rotated or expired refresh token, a
// portal's own token, or another organisation's rows.
func testPortalUsage(t *testing.T, s PortalAccessStore) {
	ctx := context.Background()
	o, other := NewOrganisation(t, s, "Acme"), NewOrganisation(t, s, "Beta")
	ana, bo, cy := NewMember(t, s, o.ID, "ana@acme.test"), NewMember(t, s, o.ID, "bo@acme.test"), NewMember(t, s, o.ID, "cy@acme.test")
	bea := NewMember(t, s, other.ID, "bea@beta.test")
	createPortal(t, s, newPortal(o.ID, "Wiki", "client-wiki"))
	if err := s.Consent(ctx, o.ID, ana.ID, "client-wiki", []string{"openid"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPortalUse(ctx, o.ID, bo.ID, "client-wiki", []string{"openid"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Consent(ctx, other.ID, bea.ID, "client-wiki", []string{"openid"}, now); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []store.Token{
		newToken(o.ID, ana.ID, store.TokenAccess, "ana-access", "f1"),
		newToken(o.ID, ana.ID, store.TokenRefresh, "ana-refresh", "f1"),
		newToken(o.ID, bo.ID, store.TokenRefresh, "bo-rotated", "f2"),
		newToken(o.ID, cy.ID, store.TokenRefresh, "cy-expired", "f3"),
		newToken(o.ID, 0, store.TokenAccess, "own", "f4"),
		newToken(other.ID, bea.ID, store.TokenAccess, "bea-access", "f5"),
	} {
		tok.ClientID = "client-wiki"
		if tok.MemberID == cy.ID {
			tok.ExpiresAt = now.Add(-time.Second)
		}
		if err := s.CreateTokens(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RotateRefreshToken(ctx, o.ID, tokenHash("bo-rotated"), now); err != nil {
		t.Fatal(err)
	}
	u, err := s.PortalUsage(ctx, o.ID, "client-wiki", now)
	if err != nil || u != (store.PortalUsage{Consented: 1, Holding: 1}) {
		t.Errorf("usage %+v, %v; want 1 consented (Ana) and 1 holding tokens (Ana)", u, err)
	}
}
