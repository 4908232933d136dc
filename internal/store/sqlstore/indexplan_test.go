package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestHousekeepingFindsWhatItDeletesByIndex checks SQLite's plan for each
// hourly delete of old rows, as the store sends it: each must search its
// index for the rows it deletes, not read the whole table while it holds
// the one writer.
func TestHousekeepingFindsWhatItDeletesByIndex(t *testing.T) {
	db := sqltest.NewSQLite(t)
	for query, index := range sqlstore.HousekeepingDeletes {
		args := make([]any, strings.Count(query, "?"))
		for i := range args {
			args[i] = 0 // times; the plan does not depend on them
		}
		requirePlanUses(t, db, index, query, args...)
	}
}

// TestOwnersAndAdministratorsAreFoundByIndex checks SQLite's plan for the
// two queries, as the store sends them, that look for an organisation's
// owners and administrators: they must search the role index, not scan
// every member.
func TestOwnersAndAdministratorsAreFoundByIndex(t *testing.T) {
	db := sqltest.NewSQLite(t)
	for query, args := range sqlstore.RoleQueries {
		requirePlanUses(t, db, "members_org_role", query, append([]any{1}, args...)...)
	}
}

// requirePlanUses fails t unless SQLite's plan for query names index.
func requirePlanUses(t *testing.T, db *sqlstore.DB, index, query string, args ...any) {
	t.Helper()
	plan, err := db.QueryPlan(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, index) {
		t.Errorf("%s\nwant %s in the plan: %s", query, index, plan)
	}
}
