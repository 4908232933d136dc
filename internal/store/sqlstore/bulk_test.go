package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
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
		// After a bulk load (ims dev seed), PostgreSQL's planner gets fresh
		// statistics at once; SQLite has none to refresh.
		if err := db.RefreshStatistics(ctx); err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == "postgres" {
			for _, table := range []string{"members", "member_terms"} {
				if done, err := db.Vacuumed(ctx, table); !done || err != nil {
					t.Errorf("%s not vacuumed and analysed: %v", table, err)
				}
			}
		}
	})
}

// TestDeletedMemberIsGone: deleting a member (no store method does yet;
// removing unlinked members will) takes them out of the counts and out of
// search.
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
		if n, _ := db.CountMembers(ctx, org.ID, "bea", 0); n != 0 {
			t.Errorf("search bea after the delete: %d found, want 0", n)
		}
		if rows, _ := db.ListMembers(ctx, org.ID, store.MemberQuery{Search: "acme.test", Limit: 10}); len(rows) != 1 {
			t.Errorf("search acme.test after the delete: %d found, want 1", len(rows))
		}
	})
}

// TestMigrationCarriesMembersForward: members added before the counts and
// words existed are counted and found once the database is migrated, their
// words are those the store writes, and they follow later changes.
func TestMigrationCarriesMembersForward(t *testing.T) {
	eachEmpty(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if _, err := db.MigrateTo(ctx, 6); err != nil {
			t.Fatal(err)
		}
		// Organisations as the version-6 schema holds them: today's store
		// writes columns that came later.
		var ids []int64
		for _, name := range []string{"Acme", "Globex"} {
			err := db.Exec(ctx, `INSERT INTO organisations (name, name_key, session_idle_seconds, session_absolute_seconds,
				remember_me_idle_seconds, remember_me_seconds, created_at) VALUES (?, ?, 7200, 43200, 604800, 2592000, 0)`,
				name, strings.ToLower(name))
			if err != nil {
				t.Fatal(err)
			}
			o, err := db.OrganisationIDByNameKey(ctx, strings.ToLower(name))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o)
		}
		org, other := store.Organisation{ID: ids[0]}, store.Organisation{ID: ids[1]}
		type old struct {
			orgID               int64
			email, name, status string
		}
		olds := []old{
			{org.ID, "ana.lima@acme.test", "Ana Lima", "active"},
			{org.ID, "zoe.d'arc+tag_1-x@sub.acme.test", `Zoë "Zed" d'Arc-Smith (née Øst) 3rd/IV; x+y=z? [a]{b}|c\d^e~f!#$%&*,.:<>@`, "active"},
			{org.ID, "cy@acme.test", "Cy", "invited"},
			{other.ID, "dee@globex.test", "Dee", "active"},
		}
		for i, m := range olds {
			err := db.Exec(ctx, `INSERT INTO members (org_id, email, name, name_key, role, status, licensed, created_at)
				VALUES (?, ?, ?, ?, 'member', ?, ?, 0)`, m.orgID, m.email, m.name, store.NameKey(m.name), m.status, i != 1)
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

		for _, m := range olds {
			found, _ := db.ListMembers(ctx, m.orgID, store.MemberQuery{Search: m.email, Limit: 10})
			if len(found) != 1 || found[0].Email != m.email {
				t.Fatalf("search %q: got %v, want that member", m.email, found)
			}
			name, email, err := db.StoredWords(ctx, found[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := sqlstore.SearchWords(store.NameKey(m.name)); name != want {
				t.Errorf("words of %q: migrated %q, the store writes %q", m.name, name, want)
			}
			if want := sqlstore.SearchWords(m.email); email != want {
				t.Errorf("words of %q: migrated %q, the store writes %q", m.email, email, want)
			}
		}
		for search, want := range map[string]int{"zed arc": 1, "née": 1, "øst": 1, "ana": 1, "dee": 0, "acme": 3} {
			if n, _ := db.CountMembers(ctx, org.ID, search, 0); n != want {
				t.Errorf("search %q: %d found, want %d", search, n, want)
			}
		}
		// Sorted by status, a word of many members is read one status at a
		// time, from term rows that carry their member's status.
		sqlstore.SetSearchLimits(t, 1, 1, 1)
		byStatus, err := db.ListMembers(ctx, org.ID, store.MemberQuery{Search: "acme", Sort: store.SortStatus, Limit: 10})
		if err != nil || len(byStatus) != 3 || byStatus[2].Email != "cy@acme.test" {
			t.Errorf("acme by status: got %v (%v), want the invited Cy last of 3", byStatus, err)
		}
		ana, _ := db.MemberByEmail(ctx, org.ID, "ana.lima@acme.test")
		if err := db.UpdateProfile(ctx, org.ID, ana.ID, "Bea Souza", ""); err != nil {
			t.Fatal(err)
		}
		if err := db.ChangeMemberEmail(ctx, org.ID, ana.ID, "bea@acme.test"); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.CountMembers(ctx, org.ID, "lima", 0); n != 0 {
			t.Errorf("a migrated member renamed: the old name found %d, want 0", n)
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
