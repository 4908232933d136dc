package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return sqltest.NewSQLite(t) })
}

func TestPostgres(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return sqltest.NewPostgres(t) })
}

// TestMigrationsReachSameVersion keeps the dialects' migrations in step.
func TestMigrationsReachSameVersion(t *testing.T) {
	ctx := context.Background()
	versions := map[string]int{}
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		v, err := db.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		latest, _ := db.LatestVersion()
		if v != latest || v == 0 {
			t.Errorf("%s at version %d, want %d", db.Dialect(), v, latest)
		}
		again, err := db.Migrate(ctx)
		if err != nil || len(again) != 0 {
			t.Errorf("second migrate applied %v, %v; want nothing", again, err)
		}
		versions[db.Dialect()] = v
	})
	if len(versions) == 2 && versions["sqlite"] != versions["postgres"] {
		t.Errorf("dialects differ: %v", versions)
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	_, err := sqlstore.Open(context.Background(), "mysql://root:secret@localhost/ims")
	if err == nil || !strings.Contains(err.Error(), "want sqlite:PATH or postgres://") {
		t.Fatalf("got %v, want a message naming the accepted forms", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestPruneExpiredKeepsLiveSessions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
		now := time.Now()
		for i, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
			s := store.Session{TokenHash: []byte{byte(i), 1, 2, 3}, OrgID: org.ID, MemberID: m.ID, CreatedAt: now,
				LastSeenAt: now, AuthTime: now, ExpiresAt: expires}
			if err := db.CreateSession(ctx, &s); err != nil {
				t.Fatal(err)
			}
		}
		n, _, err := db.PruneExpired(ctx, now)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d sessions, %v; want 1", n, err)
		}
		if _, err := db.SignedInByTokenHash(ctx, []byte{1, 1, 2, 3}); err != nil {
			t.Errorf("the live session was pruned: %v", err)
		}
	})
}
