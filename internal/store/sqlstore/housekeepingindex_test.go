package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore/sqltest"
)

// TestHousekeepingFindsWhatItDeletesByIndex checks SQLite's plans for the
// hourly deletes of expired sessions and of finished messages: each must
// search an index for the rows it deletes, not read the whole table.
func TestHousekeepingFindsWhatItDeletesByIndex(t *testing.T) {
	db := sqltest.NewSQLite(t)
	for query, index := range map[string]string{
		`DELETE FROM sessions WHERE expires_at <= 1`:                                    "sessions_expires",
		`DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND created_at < 1`: "mail_outbox_done",
		`DELETE FROM sms_outbox WHERE status IN ('sent', 'failed') AND created_at < 1`:  "sms_outbox_done",
	} {
		plan, err := db.QueryPlan(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, index) {
			t.Errorf("%s\nplan: %s", query, plan)
		}
	}
}
