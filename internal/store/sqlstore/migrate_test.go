package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// eachURL runs fn once per backend with the URL of a database no migration
// has touched.
func eachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, "sqlite:"+filepath.Join(t.TempDir(), "ims.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.NewPostgresDatabase(t)) })
}

// openUnmigrated opens url without migrating it.
func openUnmigrated(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPendingListsWhatMigrateWouldApply: on an empty database every
// migration is pending, in order, and asking changes nothing; part-way, the
// rest are; migrated, none.
func TestPendingListsWhatMigrateWouldApply(t *testing.T) {
	ctx := context.Background()
	eachURL(t, func(t *testing.T, url string) {
		db := openUnmigrated(t, url)
		latest, err := db.LatestVersion()
		// Versions ascend but need not be contiguous: features number their
		// migrations ahead of one another.
		files, _ := filepath.Glob(filepath.Join("migrations", db.Dialect(), "*.sql"))
		if err != nil || latest < 2 || len(files) < 2 {
			t.Fatalf("latest version %d of %d files, %v", latest, len(files), err)
		}
		pending, err := db.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != len(files) || pending[0] != (sqlstore.Migration{Version: 1, Name: "0001_foundation.sql"}) ||
			pending[len(pending)-1].Version != latest {
			t.Fatalf("pending on an empty database: %v; want the %d migrations from 0001_foundation.sql to version %d",
				pending, len(files), latest)
		}
		for i, m := range pending {
			if i > 0 && m.Version <= pending[i-1].Version || !strings.HasPrefix(m.Name, fmt.Sprintf("%04d_", m.Version)) {
				t.Errorf("pending[%d] = %+v: want ascending versions, each file named by its own", i, m)
			}
		}
		if applied, err := db.AppliedMigrations(ctx); applied != nil || err != nil {
			t.Errorf("after Pending the database records migrations %v, %v; want not even the table", applied, err)
		}

		if _, err := db.MigrateTo(ctx, 1); err != nil {
			t.Fatal(err)
		}
		pending, err = db.Pending(ctx)
		if err != nil || len(pending) != len(files)-1 || pending[0].Version <= 1 || pending[len(pending)-1].Version != latest {
			t.Errorf("pending at version 1: %v, %v; want every later version to %d", pending, err, latest)
		}

		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if pending, err := db.Pending(ctx); len(pending) != 0 || err != nil {
			t.Errorf("pending once migrated: %v, %v; want none", pending, err)
		}
	})
}

// TestNewerSchemaIsRefused: a database a newer binary has migrated, which
// records a migration this one lacks, is refused by Migrate (here and on a
// second connection, as another node) and by Pending, with a message naming
// both versions and what to run, and Migrate applies nothing, not even a
// migration the database lacks.
func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	eachURL(t, func(t *testing.T, url string) {
		db := sqltest.Open(t, url)
		latest, _ := db.LatestVersion()
		newer := fmt.Sprintf("%04d_from_a_newer_ims.sql", latest+1)
		if err := db.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, latest+1, newer); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(ctx, `DELETE FROM schema_migrations WHERE version = ?`, latest); err != nil {
			t.Fatal(err)
		}
		before, _ := db.AppliedMigrations(ctx)
		want := &sqlstore.SchemaTooNewError{Dialect: db.Dialect(), Version: latest + 1, Latest: latest, Unknown: []string{newer}}
		check := func(what string, err error) {
			t.Helper()
			var tooNew *sqlstore.SchemaTooNewError
			if !errors.As(err, &tooNew) || tooNew.Version != want.Version || tooNew.Latest != want.Latest ||
				!slices.Equal(tooNew.Unknown, want.Unknown) {
				t.Errorf("%s: %v; want %v", what, err, want)
				return
			}
			for _, part := range []string{fmt.Sprintf("at version %d", latest+1), fmt.Sprintf("newest migration is version %d", latest),
				newer, "Run that newer ims"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("%s: %q lacks %q", what, err, part)
				}
			}
		}
		_, err := db.Migrate(ctx)
		check("Migrate", err)
		_, err = db.Pending(ctx)
		check("Pending", err)
		_, err = openUnmigrated(t, url).Migrate(ctx)
		check("Migrate on a second connection", err)
		if after, _ := db.AppliedMigrations(ctx); !slices.Equal(after, before) {
			t.Errorf("after the refusals the database has migrations %v, had %v", after, before)
		}
	})
}

// TestUnknownLowerMigrationIsRefused: a migration this binary lacks counts
// as newer whatever its number, since migrations developed side by side may
// land out of order.
func TestUnknownLowerMigrationIsRefused(t *testing.T) {
	ctx := context.Background()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		if err := db.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (0, '0000_from_another_branch.sql')`); err != nil {
			t.Fatal(err)
		}
		latest, _ := db.LatestVersion()
		_, err := db.Migrate(ctx)
		var tooNew *sqlstore.SchemaTooNewError
		if !errors.As(err, &tooNew) || tooNew.Version != latest || !strings.Contains(err.Error(), "0000_from_another_branch.sql") {
			t.Errorf("Migrate: %v; want the unknown migration refused", err)
		}
	})
}
