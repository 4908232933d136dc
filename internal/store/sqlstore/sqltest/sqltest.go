// Package sqltest gives tests a fresh, migrated database: SQLite in a
// temporary folder, and PostgreSQL in a database of its own per test.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/store/sqlstore"
)

// NewSQLite returns a migrated SQLite store in t's temporary folder.
func NewSQLite(t testing.TB) *sqlstore.DB {
	t.Helper()
	return open(t, "sqlite:"+filepath.Join(t.TempDir(), "ims.db"))
}

// PostgresURL is the server tests create their databases on.
const PostgresURL = "IMS_TEST_DATABASE_URL"

// NewPostgres returns a migrated store in a new PostgreSQL database, dropped
// when the test ends. Without IMS_TEST_DATABASE_URL the test is skipped, or
// fails when CI=true, since CI must exercise PostgreSQL.
func NewPostgres(t testing.TB) *sqlstore.DB {
	t.Helper()
	return open(t, NewPostgresDatabase(t))
}

// NewPostgresDatabase creates an empty PostgreSQL database and returns its URL.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURL)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", PostgresURL)
		}
		t.Skipf("%s is not set: skipping PostgreSQL", PostgresURL)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "ims_test_" + strings.ToLower(rand.Text()[:12])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database on %s: %v", base, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Each runs fn once per backend, as subtests named sqlite and postgres.
func Each(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, NewSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, NewPostgres(t)) })
}

// Open connects to databaseURL and migrates it: a second Open of the same
// PostgreSQL database stands for a second node.
func Open(t testing.TB, databaseURL string) *sqlstore.DB {
	t.Helper()
	return open(t, databaseURL)
}

func open(t testing.TB, databaseURL string) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(fmt.Errorf("migrate %s: %w", db.Dialect(), err))
	}
	return db
}

// ForPerformance is the database a performance test or benchmark runs on:
// nil, for the default SQLite one, unless IMS_PERF_DATABASE=postgres asks
// for a new PostgreSQL database.
func ForPerformance(t testing.TB) *sqlstore.DB {
	t.Helper()
	switch dialect := os.Getenv("IMS_PERF_DATABASE"); dialect {
	case "", "sqlite":
		return nil
	case "postgres":
		return NewPostgres(t)
	default:
		t.Fatalf("IMS_PERF_DATABASE %q: want sqlite or postgres", dialect)
		return nil
	}
}
