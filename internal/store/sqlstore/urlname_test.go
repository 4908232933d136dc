package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/storetest"
)

// TestMigrationGivesURLNames: organisations created before URL names
// existed get the one their name derives, oldest first, unique, with
// placeholders (org-<id>) never in the way; later creations continue
// after them.
func TestMigrationGivesURLNames(t *testing.T) {
	eachEmpty(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, err := db.MigrateTo(ctx, 12); err != nil {
			t.Fatal(err)
		}
		olds := []struct{ name, want string }{
			{"Org 3", "org-3"}, // the third organisation's placeholder, until it has its own
			{"Acme Corp", "acme-corp"},
			{"ACME-corp!", "acme-corp-2"},
			{"Café Zoë", "cafe-zoe"},
			{"東京", "org"},
			{"大阪", "org-2"},
			{"Admin", "admin-org"},
			{strings.Repeat("Research ", 10), strings.Repeat("research-", 6) + "research"},
		}
		ids := map[string]int64{}
		for _, o := range olds {
			err := db.Exec(ctx, `INSERT INTO organisations (name, name_key, session_idle_seconds, session_absolute_seconds,
				remember_me_idle_seconds, remember_me_seconds, created_at) VALUES (?, ?, 7200, 43200, 604800, 2592000, 0)`,
				o.name, strings.ToLower(strings.TrimSpace(o.name)))
			if err != nil {
				t.Fatal(err)
			}
			if ids[o.name], err = db.OrganisationIDByNameKey(ctx, strings.ToLower(strings.TrimSpace(o.name))); err != nil {
				t.Fatal(err)
			}
		}
		if ids["ACME-corp!"] != 3 {
			t.Fatalf("the third organisation has ID %d: the test needs 3", ids["ACME-corp!"])
		}
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) == 0 || applied[0] != "0013_url_name.sql" {
			t.Fatalf("migrate applied %v, %v", applied, err)
		}
		for _, o := range olds {
			got, err := db.OrganisationByURLName(ctx, o.want)
			if err != nil || got.ID != ids[o.name] {
				t.Errorf("%q: URL name %q finds %+v, %v", o.name, o.want, got, err)
			}
		}
		if next := storetest.NewOrganisation(t, db, "Acme Corp."); next.URLName != "acme-corp-3" {
			t.Errorf("a new Acme Corp. after the migration: %q, want acme-corp-3", next.URLName)
		}
		dup := store.Organisation{Name: "Globex", URLName: "cafe-zoe", Settings: store.DefaultOrganisationSettings()}
		if err := db.CreateOrganisation(ctx, &dup); err == nil {
			t.Error("the migrated URL names are not unique")
		}
	})
}
