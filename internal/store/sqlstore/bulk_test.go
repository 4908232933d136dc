package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// TestBulkCreatedMembersAreListed: members seeded in bulk are counted, sort
// by name and are found by search, as members added one at a time are.
func TestBulkCreatedMembersAreListed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		var batch []store.Member
		for i, name := range []string{"Carla Costa", "ana Lima", "Bruno Dias"} {
			batch = append(batch, store.Member{OrgID: org.ID, Email: store.NameKey(name[:3]) + "@acme.test", Name: name,
				Role: store.RoleMember, Status: store.StatusActive, Licensed: i > 0, CreatedAt: time.Now()})
		}
		if err := db.BulkCreateMembers(ctx, batch); err != nil {
			t.Fatal(err)
		}
		rows, err := db.ListMembers(ctx, org.ID, store.MemberQuery{Sort: store.SortName, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows {
			names = append(names, r.Name)
		}
		if len(names) != 3 || names[0] != "ana Lima" || names[1] != "Bruno Dias" || names[2] != "Carla Costa" {
			t.Errorf("by name: got %q, want ana Lima, Bruno Dias, Carla Costa", names)
		}
		found, err := db.ListMembers(ctx, org.ID, store.MemberQuery{Search: "LIMA", Limit: 10})
		if err != nil || len(found) != 1 || found[0].Name != "ana Lima" {
			t.Errorf("search LIMA: got %v, %v; want ana Lima", found, err)
		}
		members, _ := db.CountMembers(ctx, org.ID, "", 0)
		licensed, _ := db.LicencesInUse(ctx, org.ID)
		if members != 3 || licensed != 2 {
			t.Errorf("counts: %d members, %d licences, want 3 and 2", members, licensed)
		}
	})
}

// TestDeletedMemberIsGone: deleting a member (no store method does yet;
// removing unlinked members will) takes them out of the counts.
func TestDeletedMemberIsGone(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		storetest.NewMember(t, db, org.ID, "ana@acme.test")
		bea := storetest.NewMember(t, db, org.ID, "bea@acme.test")
		if err := db.Exec(ctx, `DELETE FROM members WHERE org_id = ? AND id = ?`, org.ID, bea.ID); err != nil {
			t.Fatal(err)
		}
		members, _ := db.CountMembers(ctx, org.ID, "", 0)
		licensed, _ := db.LicencesInUse(ctx, org.ID)
		if members != 1 || licensed != 1 {
			t.Errorf("after a delete: %d members, %d licences, want 1 and 1", members, licensed)
		}
	})
}

// TestMigrationCarriesMembersForward: members added before the counts and
// words existed are counted and found once the database is migrated.
func TestMigrationCarriesMembersForward(t *testing.T) {
	eachEmpty(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, err := db.MigrateTo(ctx, 6); err != nil {
			t.Fatal(err)
		}
		org := storetest.NewOrganisation(t, db, "Acme")
		other := storetest.NewOrganisation(t, db, "Globex")
		for i, m := range []struct {
			orgID       int64
			email, name string
		}{
			{org.ID, "ana.lima@acme.test", "Ana Lima"},
			{org.ID, "bea@acme.test", "Beatriz O'Brien-Souza"},
			{org.ID, "cy@acme.test", "Cy"},
			{other.ID, "dee@globex.test", "Dee"},
		} {
			err := db.Exec(ctx, `INSERT INTO members (org_id, email, name, name_key, role, status, licensed, created_at)
				VALUES (?, ?, ?, ?, 'member', 'active', ?, 0)`, m.orgID, m.email, m.name, store.NameKey(m.name), i != 1)
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		members, _ := db.CountMembers(ctx, org.ID, "", 0)
		licensed, _ := db.LicencesInUse(ctx, org.ID)
		if members != 3 || licensed != 2 {
			t.Errorf("Acme: %d members, %d licences, want 3 and 2", members, licensed)
		}
		storetest.NewMember(t, db, other.ID, "eve@globex.test")
		if members, _ := db.CountMembers(ctx, other.ID, "", 0); members != 2 {
			t.Errorf("Globex after one more: %d members, want 2", members)
		}
	})
}

// eachEmpty runs fn on an empty, unmigrated database of each dialect.
func eachEmpty(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	open := func(t *testing.T, url string) *sqlstore.DB {
		db, err := sqlstore.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	t.Run("sqlite", func(t *testing.T) { fn(t, open(t, "sqlite:"+filepath.Join(t.TempDir(), "ims.db"))) })
	t.Run("postgres", func(t *testing.T) { fn(t, open(t, sqltest.NewPostgresDatabase(t))) })
}
