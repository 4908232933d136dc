package oidc_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"imslogin/internal/oidc"
	"imslogin/internal/secretbox"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
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

// TestFirstKeyIsMadeOnceAcrossASlot: nodes whose clocks straddle a key
// slot (11:59:59.9 and 12:00:00.1) make one first key for an organisation
// and all sign with it, whether they ask at once or the node ahead asks
// first, on SQLite and PostgreSQL. Each node has its own key cache; all
// have read the keys before any makes one.
func TestFirstKeyIsMadeOnceAcrossASlot(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *sqlstore.DB{"SQLite": sqltest.NewSQLite, "PostgreSQL": sqltest.NewPostgres} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			key := make([]byte, secretbox.KeySize)
			rand.Read(key)
			box, _ := secretbox.New(key)
			noon := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
			clocks := []time.Time{noon.Add(100 * time.Millisecond), noon.Add(-100 * time.Millisecond)}
			for _, aheadFirst := range []bool{true, false} {
				org := storetest.NewOrganisation(t, db, fmt.Sprintf("Acme %v", aheadFirst))
				if aheadFirst {
					ahead := &oidc.Keys{Store: db, Box: box, Now: func() time.Time { return clocks[0] }}
					if _, err := ahead.Signing(ctx, org.ID, oidc.ES256); err != nil {
						t.Fatal(err)
					}
				}
				var wg, read sync.WaitGroup
				ids := make([]string, 8)
				read.Add(len(ids))
				for i := range ids {
					wg.Go(func() {
						n := &oidc.Keys{Store: &readTogether{DB: db, read: &read}, Box: box, Now: func() time.Time { return clocks[i%2] }}
						if k, err := n.Signing(ctx, org.ID, oidc.ES256); err == nil {
							ids[i] = k.ID()
						}
					})
				}
				wg.Wait()
				stored, _ := db.SigningKeys(ctx, org.ID)
				if len(stored) != 1 {
					t.Errorf("ahead first %v: %d keys stored, want 1", aheadFirst, len(stored))
				}
				for i, id := range ids {
					if len(stored) == 0 || id != stored[0].ID {
						t.Errorf("ahead first %v: node %d signs with %q, want the one key stored", aheadFirst, i, id)
					}
				}
			}
		})
	}
}

// readTogether holds each node's first read of the keys until every node
// has made its own, so all of them find none.
type readTogether struct {
	*sqlstore.DB
	read *sync.WaitGroup
	once sync.Once
}

func (s *readTogether) SigningKeys(ctx context.Context, orgID int64) ([]store.SigningKey, error) {
	list, err := s.DB.SigningKeys(ctx, orgID)
	s.once.Do(func() { s.read.Done(); s.read.Wait() })
	return list, err
}
