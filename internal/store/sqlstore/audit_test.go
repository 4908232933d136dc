package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestAuditEventsAreAppendOnly: even a query written by hand cannot change
// an audit entry; the database itself refuses.
func TestAuditEventsAreAppendOnly(t *testing.T) {
	for _, backend := range []struct{ name, driver string }{{"sqlite", "sqlite"}, {"postgres", "pgx"}} {
		t.Run(backend.name, func(t *testing.T) {
			var url, raw string
			if backend.name == "sqlite" {
				path := filepath.Join(t.TempDir(), "ims.db")
				url, raw = "sqlite:"+path, path
			} else {
				url = sqltest.NewPostgresDatabase(t)
				raw = url
			}
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			o := store.Organisation{Name: "Acme", Settings: store.DefaultOrganisationSettings(), CreatedAt: time.Now()}
			if err := db.CreateOrganisation(ctx, &o); err != nil {
				t.Fatal(err)
			}
			e := store.AuditEvent{OrgID: o.ID, At: time.Now(), Kind: "signin-failure", Email: "ana@acme.test"}
			if err := db.AppendAuditEvent(ctx, &e); err != nil {
				t.Fatal(err)
			}
			conn, err := sql.Open(backend.driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_, err = conn.ExecContext(ctx, `UPDATE audit_events SET kind = 'signin-success'`)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("UPDATE of an audit entry: got %v, want it refused as append-only", err)
			}
		})
	}
}
