package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestOwnersAndAdministratorsAreFoundByIndex checks SQLite's plan for the
// two queries, as the store sends them, that look for an organisation's
// owners and administrators: they must search the role index, not scan
// every member.
func TestOwnersAndAdministratorsAreFoundByIndex(t *testing.T) {
	db := sqltest.NewSQLite(t)
	for query, args := range sqlstore.RoleQueries {
		plan, err := db.QueryPlan(context.Background(), query, append([]any{1}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "members_org_role") {
			t.Errorf("%s\nplan: %s", query, plan)
		}
	}
}
