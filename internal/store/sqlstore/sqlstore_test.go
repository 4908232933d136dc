package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return sqltest.NewSQLite(t) })
}

func TestPostgres(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return sqltest.NewPostgres(t) })
}

func TestPortalsSQLite(t *testing.T) {
	storetest.RunPortals(t, func(t *testing.T) storetest.PortalStore { return sqltest.NewSQLite(t) })
}

func TestPortalsPostgres(t *testing.T) {
	storetest.RunPortals(t, func(t *testing.T) storetest.PortalStore { return sqltest.NewPostgres(t) })
}

// TestMigrationsReachSameVersion keeps the dialects' migrations in step.
func TestMigrationsReachSameVersion(t *testing.T) {
	ctx := context.Background()
	versions := map[string]int{}
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		v, err := db.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		latest, _ := db.LatestVersion()
		if v != latest || v == 0 {
			t.Errorf("%s at version %d, want %d", db.Dialect(), v, latest)
		}
		again, err := db.Migrate(ctx)
		if err != nil || len(again) != 0 {
			t.Errorf("second migrate applied %v, %v; want nothing", again, err)
		}
		versions[db.Dialect()] = v
	})
	if len(versions) == 2 && versions["sqlite"] != versions["postgres"] {
		t.Errorf("dialects differ: %v", versions)
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	_, err := sqlstore.Open(context.Background(), "mysql://root:secret@localhost/ims")
	if err == nil || !strings.Contains(err.Error(), "want sqlite:PATH or postgres://") {
		t.Fatalf("got %v, want a message naming the accepted forms", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestPruneExpiredKeepsLiveSessions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
		now := time.Now()
		for i, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
			s := store.Session{TokenHash: []byte{byte(i), 1, 2, 3}, OrgID: org.ID, MemberID: m.ID, CreatedAt: now,
				LastSeenAt: now, AuthTime: now, ExpiresAt: expires}
			if err := db.CreateSession(ctx, &s); err != nil {
				t.Fatal(err)
			}
		}
		n, _, err := db.PruneExpired(ctx, now)
		if err != nil || n != 1 {
			t.Fatalf("pruned %d sessions, %v; want 1", n, err)
		}
		if _, err := db.SignedInByTokenHash(ctx, []byte{1, 1, 2, 3}); err != nil {
			t.Errorf("the live session was pruned: %v", err)
		}
	})
}

// TestTransactionsReuseTheWritersStatements: on SQLite a transaction's
// statements are prepared on the writer once it ends and reused, bound to
// the next transaction, so they see its uncommitted rows and vanish with
// its rollback; a statement used unbound would wait for the writer the
// transaction holds, until the deadline.
func TestTransactionsReuseTheWritersStatements(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		createAndRead := func(name string, fail error) error {
			return db.InTx(ctx, func(ctx context.Context) error {
				o := store.Organisation{Name: name, Settings: store.DefaultOrganisationSettings(), CreatedAt: time.Now()}
				if err := db.CreateOrganisation(ctx, &o); err != nil {
					return err
				}
				if got, err := db.OrganisationByName(ctx, name); err != nil || got.ID != o.ID {
					return fmt.Errorf("the transaction reads back %s: %+v, %v", name, got, err)
				}
				return fail
			})
		}
		before := db.WriterStatements()
		if err := createAndRead("Acme", nil); err != nil {
			t.Fatal(err)
		}
		prepared := db.WriterStatements()
		if db.Dialect() == "sqlite" && prepared <= before {
			t.Fatalf("the writer has %d statements after a transaction, %d before: none prepared", prepared, before)
		}
		if err := createAndRead("Globex", nil); err != nil {
			t.Fatalf("the second transaction: %v", err)
		}
		if err := createAndRead("Initech", errors.New("stop")); err == nil || err.Error() != "stop" {
			t.Fatalf("a failing transaction returned %v", err)
		}
		if after := db.WriterStatements(); after != prepared {
			t.Errorf("the writer has %d statements after the same transactions ran again, %d before", after, prepared)
		}
		for name, want := range map[string]error{"Acme": nil, "Globex": nil, "Initech": store.ErrNotFound} {
			if _, err := db.OrganisationByName(ctx, name); !errors.Is(err, want) {
				t.Errorf("%s after the transactions: %v, want %v", name, err, want)
			}
		}
	})
}

// TestWriteAheadLogStaysBounded: however many transactions commit, the
// writer copies the write-ahead log into the database file and starts it
// again, so the log file stays near WALPages pages instead of growing with
// them: past it by what commits while a checkpoint runs, here about a
// quarter at some 250 MB of writes a second, three times a real peak.
func TestWriteAheadLogStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ims.db")
	db := sqltest.Open(t, "sqlite:"+path)
	ctx := context.Background()
	if err := db.Exec(ctx, `CREATE TABLE filler (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	// ten pages a transaction: a log of 3 × WALPages without checkpoints
	const transactions = sqlstore.WALPages * 3 / 10
	for range transactions {
		if err := db.Exec(ctx, `INSERT INTO filler (b) VALUES (zeroblob(40000))`); err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	const frame = 4096 + 24 // a page and its header
	if limit := int64(sqlstore.WALPages) * frame * 3 / 2; info.Size() > limit {
		t.Errorf("the write-ahead log is %d MB after %d transactions, want at most %d", info.Size()>>20, transactions, limit>>20)
	}
}

func TestOIDCSQLite(t *testing.T) {
	storetest.RunOIDC(t, func(t *testing.T) storetest.OIDCStore { return sqltest.NewSQLite(t) })
}

func TestOIDCPostgres(t *testing.T) {
	storetest.RunOIDC(t, func(t *testing.T) storetest.OIDCStore { return sqltest.NewPostgres(t) })
}

func TestConsentsSQLite(t *testing.T) {
	storetest.RunConsents(t, func(t *testing.T) storetest.ConsentStore { return sqltest.NewSQLite(t) })
}

func TestConsentsPostgres(t *testing.T) {
	storetest.RunConsents(t, func(t *testing.T) storetest.ConsentStore { return sqltest.NewPostgres(t) })
}

func TestLogoutsSQLite(t *testing.T) {
	storetest.RunLogouts(t, func(t *testing.T) storetest.LogoutStore { return sqltest.NewSQLite(t) })
}

func TestLogoutsPostgres(t *testing.T) {
	storetest.RunLogouts(t, func(t *testing.T) storetest.LogoutStore { return sqltest.NewPostgres(t) })
}

func TestLoginServicesSQLite(t *testing.T) {
	storetest.RunLoginServices(t, func(t *testing.T) storetest.LoginServiceStore { return sqltest.NewSQLite(t) })
}

func TestLoginServicesPostgres(t *testing.T) {
	storetest.RunLoginServices(t, func(t *testing.T) storetest.LoginServiceStore { return sqltest.NewPostgres(t) })
}

func TestPortalAccessSQLite(t *testing.T) {
	storetest.RunPortalAccess(t, func(t *testing.T) storetest.PortalAccessStore { return sqltest.NewSQLite(t) })
}

func TestPortalAccessPostgres(t *testing.T) {
	storetest.RunPortalAccess(t, func(t *testing.T) storetest.PortalAccessStore { return sqltest.NewPostgres(t) })
}

func TestGaugesSQLite(t *testing.T) {
	storetest.RunGauges(t, func(t *testing.T) storetest.GaugeStore { return sqltest.NewSQLite(t) })
}

func TestGaugesPostgres(t *testing.T) {
	storetest.RunGauges(t, func(t *testing.T) storetest.GaugeStore { return sqltest.NewPostgres(t) })
}

func TestBrandingSQLite(t *testing.T) {
	storetest.RunBranding(t, func(t *testing.T) storetest.BrandingStore { return sqltest.NewSQLite(t) })
}

func TestBrandingPostgres(t *testing.T) {
	storetest.RunBranding(t, func(t *testing.T) storetest.BrandingStore { return sqltest.NewPostgres(t) })
}

// TestCloseTwice: closing a database twice, as shutdown paths may, is no
// error beyond what the connections report, and never a panic.
func TestCloseTwice(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "ims.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db.Close()
}
