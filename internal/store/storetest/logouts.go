package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"imslogin/internal/store"
)

// LogoutStore is a store with the back-channel logout storage, which is
// not part of store.Store.
type LogoutStore interface {
	OIDCStore
	store.Logouts
}

// RunLogouts runs the conformance cases of session portals, session
// tokens, the back-channel logout outbox and grant housekeeping.
func RunLogouts(t *testing.T, newStore func(t *testing.T) LogoutStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s LogoutStore)
	}{
		{"SessionPortals", testSessionPortals},
		{"SessionTokens", testSessionTokens},
		{"LogoutOutbox", testLogoutOutbox},
		{"LogoutClaimsAreExclusive", testLogoutClaimsAreExclusive},
		{"PruneGrants", testPruneGrants},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

func testSessionPortals(t *testing.T, s LogoutStore) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	m := NewMember(t, s, a.ID, "ana@alpha.test")
	s1, s2 := newSession(t, s, m, "s1", now), newSession(t, s, m, "s2", now)
	for _, r := range []struct {
		sess   int64
		client string
	}{{s1.ID, "web"}, {s1.ID, "spa"}, {s1.ID, "web"}, {s2.ID, "web"}} {
		if err := s.RecordSessionPortal(ctx, a.ID, r.sess, r.client); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordSessionPortal(ctx, b.ID, s1.ID, "web"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TakeSessionPortals(ctx, b.ID, m.ID, 0); err != nil || len(got) != 0 {
		t.Errorf("Beta takes Alpha's session portals: %+v, %v", got, err)
	}
	got, err := s.TakeSessionPortals(ctx, a.ID, m.ID, s1.ID)
	if err != nil || len(got) != 2 || got[0].ClientID != "spa" || got[1].ClientID != "web" || got[0].SessionID != s1.ID ||
		got[0].MemberID != m.ID || got[0].OrgID != a.ID {
		t.Fatalf("session 1's portals: %+v, %v; want spa and web once each", got, err)
	}
	if got, _ := s.TakeSessionPortals(ctx, a.ID, m.ID, s1.ID); len(got) != 0 {
		t.Errorf("taken twice: %+v", got)
	}
	if got, _ := s.TakeSessionPortals(ctx, a.ID, m.ID, 0); len(got) != 1 || got[0].SessionID != s2.ID {
		t.Errorf("every session's portals: %+v, want session 2's web", got)
	}
}

func testSessionTokens(t *testing.T, s LogoutStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	for i, sess := range []int64{11, 12, 0} {
		tok := store.Token{OrgID: o.ID, Kind: store.TokenAccess, Hash: tokenHash(fmt.Sprint("t", i)), Family: "f",
			ClientID: "web", MemberID: m.ID, SessionID: sess, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateTokens(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteSessionTokens(ctx, o.ID, m.ID, 11); n != 1 || err != nil {
		t.Errorf("session 11's tokens: %d, %v; want 1", n, err)
	}
	if n, err := s.DeleteSessionTokens(ctx, o.ID, m.ID, 0); n != 1 || err != nil {
		t.Errorf("every session's tokens: %d, %v; want 1 (the offline one stays)", n, err)
	}
	if _, err := s.TokenByHash(ctx, o.ID, store.TokenAccess, tokenHash("t2")); err != nil {
		t.Errorf("the offline token: %v, want it kept", err)
	}
}

func newLogout(t *testing.T, s LogoutStore, orgID int64, client string, at time.Time) store.LogoutMessage {
	t.Helper()
	m := store.LogoutMessage{OrgID: orgID, ClientID: client, MemberID: 1, SessionID: 2, JTI: "jti-" + client,
		NextAttemptAt: at, CreatedAt: at}
	if err := s.EnqueueLogout(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func testLogoutOutbox(t *testing.T, s LogoutStore) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	m := newLogout(t, s, a.ID, "web", now)
	if list, err := s.OrganisationLogouts(ctx, b.ID, 10); err != nil || len(list) != 0 {
		t.Errorf("Beta reads Alpha's logouts: %+v, %v", list, err)
	}
	got, err := s.ClaimLogouts(ctx, "w1", now, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].ID != m.ID || got[0].JTI != "jti-web" || got[0].Claim != "w1" {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	if again, _ := s.ClaimLogouts(ctx, "w2", now, time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed while held: %+v", again)
	}
	retry := store.MailOutcome{Status: store.MailPending, At: now, NextAttemptAt: now.Add(time.Minute), Error: "503"}
	if err := s.RecordLogoutOutcome(ctx, m.ID, "w2", retry); err == nil {
		t.Error("another worker recorded an outcome of a claim it does not hold")
	}
	if err := s.RecordLogoutOutcome(ctx, m.ID, "w1", retry); err != nil {
		t.Fatal(err)
	}
	if early, _ := s.ClaimLogouts(ctx, "w2", now.Add(30*time.Second), time.Minute, 10); len(early) != 0 {
		t.Errorf("claimed before its retry was due: %+v", early)
	}
	got, _ = s.ClaimLogouts(ctx, "w2", now.Add(time.Minute), time.Minute, 10)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "503" {
		t.Fatalf("retry claim: %+v", got)
	}
	if err := s.RecordLogoutOutcome(ctx, m.ID, "w2", store.MailOutcome{Status: store.MailSent, At: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneLogouts(ctx, now); n != 0 || err != nil {
		t.Errorf("pruned %d, %v before the retention; want 0", n, err)
	}
	newLogout(t, s, a.ID, "pending", now.Add(-time.Hour))
	if n, err := s.PruneLogouts(ctx, now.Add(time.Hour)); n != 1 || err != nil {
		t.Errorf("pruned %d, %v; want the sent one only", n, err)
	}
	if list, _ := s.OrganisationLogouts(ctx, a.ID, 10); len(list) != 1 || list[0].ClientID != "pending" {
		t.Errorf("after pruning: %+v, want the pending one", list)
	}
}

func testLogoutClaimsAreExclusive(t *testing.T, s LogoutStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	const messages, workers = 120, 6
	for i := range messages {
		newLogout(t, s, o.ID, fmt.Sprint("p", i), now)
	}
	claimsAreExclusive(t, messages, workers, func(claimer string) ([]int64, error) {
		got, err := s.ClaimLogouts(ctx, claimer, now, time.Hour, 7)
		ids := make([]int64, len(got))
		for i, m := range got {
			ids[i] = m.ID
		}
		return ids, err
	})
}

func testPruneGrants(t *testing.T, s LogoutStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
		a := store.AuthRequest{ID: fmt.Sprint("r", i), OrgID: o.ID, ClientID: "web", CreatedAt: now, ExpiresAt: exp}
		if err := s.CreateAuthRequest(ctx, &a); err != nil {
			t.Fatal(err)
		}
		tok := store.Token{OrgID: o.ID, Kind: store.TokenRefresh, Hash: tokenHash(fmt.Sprint("p", i)), Family: "f",
			ClientID: "web", MemberID: m.ID, CreatedAt: now, ExpiresAt: exp}
		if err := s.CreateTokens(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	expired := store.Session{TokenHash: tokenHash("old"), OrgID: o.ID, MemberID: m.ID, CreatedAt: now, LastSeenAt: now,
		AuthTime: now, ExpiresAt: now.Add(-time.Second)}
	if err := s.CreateSession(ctx, &expired); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSessionPortal(ctx, o.ID, expired.ID, "web"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneGrants(ctx, now); n != 3 || err != nil {
		t.Errorf("pruned %d, %v; want an expired request, token and session record", n, err)
	}
	if _, err := s.AuthRequestByID(ctx, o.ID, "r1"); err != nil {
		t.Errorf("a live request: %v, want it kept", err)
	}
	if _, err := s.TokenByHash(ctx, o.ID, store.TokenRefresh, tokenHash("p1")); err != nil {
		t.Errorf("a live token: %v, want it kept", err)
	}
}
