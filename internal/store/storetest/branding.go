package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"imslogin/internal/store"
)

// BrandingStore is a store with organisations' branding, which is not part
// of store.Store.
type BrandingStore interface {
	store.Store
	store.Brandings
}

// RunBranding runs the conformance cases of organisations' branding.
func RunBranding(t *testing.T, newStore func(t *testing.T) BrandingStore) {
	t.Run("BrandingRoundTripAndIsolation", func(t *testing.T) { testBranding(t, newStore(t)) })
}

func testBranding(t *testing.T, s BrandingStore) {
	ctx := context.Background()
	acme, other := NewOrganisation(t, s, "Acme"), NewOrganisation(t, s, "Other")
	if _, err := s.Branding(ctx, acme.ID); notFound(err) != nil {
		t.Errorf("no branding yet: %v", notFound(err))
	}
	logo := []byte("\x89PNG\r\n\x1a\n\x00\x01")
	if err := s.SetBranding(ctx, store.Branding{OrgID: acme.ID, Accent: "#7a1fa2", Logo: logo, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Branding(ctx, acme.ID)
	if err != nil || b.Accent != "#7a1fa2" || !bytes.Equal(b.Logo, logo) || !b.UpdatedAt.Equal(now) || b.OrgID != acme.ID {
		t.Fatalf("round trip: %+v, %v", b, err)
	}
	if _, err := s.Branding(ctx, other.ID); notFound(err) != nil {
		t.Errorf("another organisation sees Acme's branding: %v", notFound(err))
	}
	later := now.Add(time.Hour)
	if err := s.SetBranding(ctx, store.Branding{OrgID: acme.ID, Accent: "", UpdatedAt: later}); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Branding(ctx, acme.ID); err != nil || b.Accent != "" || b.Logo != nil || !b.UpdatedAt.Equal(later) {
		t.Errorf("after removing the logo and colour: %+v, %v", b, err)
	}
	if err := s.SetBranding(ctx, store.Branding{OrgID: other.ID, Accent: "#004400", UpdatedAt: later}); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.Branding(ctx, acme.ID); b.Accent != "" {
		t.Errorf("another organisation's change reached Acme: %+v", b)
	}
}
