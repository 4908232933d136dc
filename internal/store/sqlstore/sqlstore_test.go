package sqlstore_test

import (
	"context"
	"strings"
	"testing"

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
