package oidc_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"imslogin/internal/oidc"
	"imslogin/internal/secretbox"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

func TestKeyRotation(t *testing.T) {
	db := sqltest.NewSQLite(t)
	ctx := context.Background()
	org := storetest.NewOrganisation(t, db, "Acme")
	key := make([]byte, secretbox.KeySize)
	rand.Read(key)
	box, _ := secretbox.New(key)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	keys := &oidc.Keys{Store: db, Box: box, Now: func() time.Time { return now }}
	published := func() []string {
		list, err := keys.Published(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range list {
			ids = append(ids, k.ID())
		}
		return ids
	}
	first, err := keys.Signing(ctx, org.ID, oidc.ES256)
	if err != nil || string(first.SignatureAlgorithm()) != "ES256" {
		t.Fatalf("first key: %v, %v", first, err)
	}
	stored, _ := db.SigningKeys(ctx, org.ID)
	if len(stored) != 1 || !secretbox.IsSealed(stored[0].Private) {
		t.Fatalf("stored %d keys; the private key must be sealed", len(stored))
	}
	now = now.Add(oidc.KeyPeriod - oidc.KeyPrepublish) // the next key is due a day from now
	if k, _ := keys.Signing(ctx, org.ID, oidc.ES256); k.ID() != first.ID() {
		t.Error("the next key signs before it was published for a day")
	}
	if ids := published(); len(ids) != 2 {
		t.Fatalf("published %v, want the current and the next key", ids)
	}
	now = now.Add(oidc.KeyPrepublish)
	second, _ := keys.Signing(ctx, org.ID, oidc.ES256)
	if second.ID() == first.ID() {
		t.Error("the next key does not sign after its day of publication")
	}
	if ids := published(); len(ids) != 2 {
		t.Errorf("published %v, want the old key kept while what it signed lives", ids)
	}
	now = now.Add(oidc.KeyRetain)
	ids := published()
	for _, id := range ids {
		if id == first.ID() {
			t.Errorf("published %v, want the old key gone after %v", ids, oidc.KeyRetain)
		}
	}
	rotated, err := keys.Rotate(ctx, org.ID, oidc.ES256)
	if err != nil || !rotated.ActiveFrom.Equal(now.Add(oidc.KeyPrepublish)) {
		t.Fatalf("rotate: %+v, %v; want a key that signs in a day", rotated, err)
	}
	if k, _ := keys.Signing(ctx, org.ID, oidc.ES256); k.ID() == rotated.ID {
		t.Error("a rotated key signs at once")
	}
	if _, err := keys.Rotate(ctx, org.ID, "HS256"); err == nil {
		t.Error("rotate accepted HS256")
	}
	rs, err := keys.Signing(ctx, org.ID, oidc.RS256)
	if err != nil || string(rs.SignatureAlgorithm()) != "RS256" {
		t.Errorf("RS256 key: %v, %v", rs, err)
	}
}
