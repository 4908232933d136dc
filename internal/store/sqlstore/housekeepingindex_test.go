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
		plan, err := db.QueryPlan(context.Background(), query, args...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, index) {
			t.Errorf("%s\nplan: %s", query, plan)
		}
	}
}
