package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"imslogin/internal/store"
)

// ConsentStore is a store with members' consents to portals, which is not
// part of store.Store.
type ConsentStore interface {
	store.Store
	store.Consents
}

// RunConsents runs the conformance cases of consents and portal use.
func RunConsents(t *testing.T, newStore func(t *testing.T) ConsentStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s ConsentStore)
	}{
		{"ConsentAndUse", testConsentAndUse},
		{"ConsentIsolation", testConsentIsolation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

func testConsentAndUse(t *testing.T, s ConsentStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	other := NewMember(t, s, o.ID, "bob@acme.test")
	if _, err := s.PortalGrant(ctx, o.ID, m.ID, "partner"); notFound(err) != nil {
		t.Errorf("no grant yet: %v", notFound(err))
	}
	if err := s.Consent(ctx, o.ID, m.ID, "partner", []string{"openid", "email"}, now); err != nil {
		t.Fatal(err)
	}
	g, err := s.PortalGrant(ctx, o.ID, m.ID, "partner")
	if err != nil || !slices.Equal(g.Consented, []string{"openid", "email"}) || !g.ConsentedAt.Equal(now) ||
		!g.LastUsedAt.IsZero() || len(g.Scopes) != 0 {
		t.Fatalf("after consent: %+v, %v", g, err)
	}
	later := now.Add(time.Hour)
	if err := s.RecordPortalUse(ctx, o.ID, m.ID, "partner", []string{"openid"}, later); err != nil {
		t.Fatal(err)
	}
	if err := s.Consent(ctx, o.ID, m.ID, "partner", []string{"openid", "email", "profile"}, later); err != nil {
		t.Fatal(err)
	}
	g, err = s.PortalGrant(ctx, o.ID, m.ID, "partner")
	if err != nil || len(g.Consented) != 3 || !slices.Equal(g.Scopes, []string{"openid"}) || !g.LastUsedAt.Equal(later) {
		t.Errorf("use and wider consent: %+v, %v; want both kept", g, err)
	}
	if err := s.RecordPortalUse(ctx, o.ID, m.ID, "board", []string{"openid", "roles"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordPortalUse(ctx, o.ID, other.ID, "board", []string{"openid"}, now); err != nil {
		t.Fatal(err)
	}
	list, err := s.PortalGrants(ctx, o.ID, m.ID)
	if err != nil || len(list) != 2 || list[0].ClientID != "partner" || list[1].ClientID != "board" || len(list[1].Consented) != 0 {
		t.Fatalf("got %+v, %v; want partner (last used) then board, without consent", list, err)
	}
	if err := s.DeletePortalGrant(ctx, o.ID, m.ID, "partner"); err != nil {
		t.Fatal(err)
	}
	if err := notFound(s.DeletePortalGrant(ctx, o.ID, m.ID, "partner")); err != nil {
		t.Errorf("deleted twice: %v", err)
	}
	if list, err := s.PortalGrants(ctx, o.ID, m.ID); err != nil || len(list) != 1 || list[0].ClientID != "board" {
		t.Errorf("after revoking partner: %+v, %v", list, err)
	}
	if list, err := s.PortalGrants(ctx, o.ID, other.ID); err != nil || len(list) != 1 {
		t.Errorf("another member's portals changed: %+v, %v", list, err)
	}
}

func testConsentIsolation(t *testing.T, s ConsentStore) {
	ctx := context.Background()
	a := NewOrganisation(t, s, "Acme")
	b := NewOrganisation(t, s, "Beta")
	m := NewMember(t, s, a.ID, "ana@acme.test")
	if err := s.Consent(ctx, a.ID, m.ID, "partner", []string{"openid"}, now); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	_, err := s.PortalGrant(ctx, b.ID, m.ID, "partner")
	checks["PortalGrant"] = notFound(err)
	if list, err := s.PortalGrants(ctx, b.ID, m.ID); err != nil || len(list) != 0 {
		checks["PortalGrants"] = fmt.Errorf("got %d grants, %v", len(list), err)
	}
	checks["DeletePortalGrant"] = notFound(s.DeletePortalGrant(ctx, b.ID, m.ID, "partner"))
	for name, err := range checks {
		if err != nil {
			t.Errorf("%s across organisations: %v", name, err)
		}
	}
	if g, err := s.PortalGrant(ctx, a.ID, m.ID, "partner"); err != nil || len(g.Consented) != 1 {
		t.Errorf("the organisation's own consent: %+v, %v", g, err)
	}
}
