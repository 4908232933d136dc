package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore/sqltest"
)

// TestOwnersAndAdministratorsAreFoundByIndex checks SQLite's plan for the
// two queries that look for an organisation's owners and administrators:
// they must search the role index, not scan every member.
func TestOwnersAndAdministratorsAreFoundByIndex(t *testing.T) {
	db := sqltest.NewSQLite(t)
	for _, query := range []string{
		`SELECT COUNT(*) FROM members WHERE org_id = 1 AND role = 'owner' AND status <> 'disabled'`,
		`SELECT id FROM members WHERE org_id = 1 AND role IN ('owner', 'administrator') AND status <> 'disabled' ORDER BY id LIMIT 10`,
	} {
		plan, err := db.QueryPlan(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "members_org_role") {
			t.Errorf("%s\nplan: %s", query, plan)
		}
	}
}
