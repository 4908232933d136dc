package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore/sqltest"
)

// TestExpiredSessionsAreFoundByIndex checks SQLite's plan for the hourly
// prune: it must search the expiry index, not read every session.
func TestExpiredSessionsAreFoundByIndex(t *testing.T) {
	db := sqltest.NewSQLite(t)
	plan, err := db.QueryPlan(context.Background(), `DELETE FROM sessions WHERE expires_at <= 1`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "sessions_expires") {
		t.Errorf("plan: %s", plan)
	}
}
