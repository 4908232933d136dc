package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// TestBulkCreatedMembersAreListed: members seeded in bulk sort by name and
// are found by search, as members added one at a time are.
func TestBulkCreatedMembersAreListed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		var batch []store.Member
		for _, name := range []string{"Carla Costa", "ana Lima", "Bruno Dias"} {
			batch = append(batch, store.Member{OrgID: org.ID, Email: store.NameKey(name[:3]) + "@acme.test", Name: name,
				Role: store.RoleMember, Status: store.StatusActive, CreatedAt: time.Now()})
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
	})
}
