package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// TestRestoreRefusals: a restore is refused while the database is open,
// for a file that is not a database, and for a backup a newer ims made;
// each refusal leaves the database in place.
func TestRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "ims.db")
	db := sqltest.Open(t, url)
	storetest.NewOrganisation(t, db, "Acme")
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, backup); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if _, err := sqlstore.Restore(ctx, url, backup); !errors.Is(err, sqlstore.ErrInUse) {
		t.Errorf("restore while open: %v, want ErrInUse", err)
	}
	db.Close()

	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 1000)), 0o600)
	if _, err := sqlstore.Restore(ctx, url, garbage); err == nil {
		t.Error("restored a file that is not a database")
	}
	newer := filepath.Join(dir, "newer.db")
	ndb := sqltest.Open(t, "sqlite:"+newer)
	if err := ndb.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	ndb.Close()
	var tooNew *sqlstore.SchemaTooNewError
	if _, err := sqlstore.Restore(ctx, url, newer); !errors.As(err, &tooNew) {
		t.Errorf("restore of a newer ims's backup: %v, want SchemaTooNewError", err)
	}
	if _, err := sqlstore.Restore(ctx, "postgres://db.example/ims", backup); !errors.Is(err, sqlstore.ErrNotSQLite) {
		t.Errorf("restore into PostgreSQL: %v", err)
	}
	db = sqltest.Open(t, url)
	if _, err := db.OrganisationByName(ctx, "Acme"); err != nil {
		t.Errorf("the database after refused restores: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ims.db.before-restore")); err == nil {
		t.Error("a refused restore moved the database aside")
	}
}
