package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// execSQL runs statements on the database at url directly, as another
// version of ims would have.
func execSQL(t *testing.T, url string, statements ...string) {
	t.Helper()
	driver, dsn := "pgx", url
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn = "sqlite", path
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range statements {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// latestVersion is the newest migration this binary knows for url's engine.
func latestVersion(t *testing.T, url string) int {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := db.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// migrationCount is how many migrations the dialect of url has: fewer than
// the latest version when features number theirs ahead of one another.
func migrationCount(t *testing.T, url string) int {
	t.Helper()
	dialect := "postgres"
	if strings.HasPrefix(url, "sqlite:") {
		dialect = "sqlite"
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "store", "sqlstore", "migrations", dialect, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s migrations found: %v", dialect, err)
	}
	return len(files)
}

// eachDatabase runs fn on an empty SQLite database (not yet a file) in dir
// and on an empty PostgreSQL database.
func eachDatabase(t *testing.T, fn func(t *testing.T, url, dir string)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, "sqlite:"+filepath.Join(dir, "ims.db"), dir)
	})
	t.Run("postgres", func(t *testing.T) { fn(t, sqltest.NewPostgresDatabase(t), t.TempDir()) })
}

// TestMigrateCheck: ims migrate --check lists the pending migrations and
// fails while any are, says the schema is current once none are, and
// changes nothing.
func TestMigrateCheck(t *testing.T) {
	eachDatabase(t, func(t *testing.T, url, dir string) {
		if strings.HasPrefix(url, "sqlite:") {
			_, err := run(t, "", "migrate", "--check", "--database-url", url)
			if err == nil || !strings.Contains(err.Error(), "no SQLite database at") {
				t.Errorf("check on a missing database: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "ims.db")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("check made the database file: %v", err)
			}
		}
		latest := latestVersion(t, url) // opening makes an empty SQLite database
		count := migrationCount(t, url)
		out, err := run(t, "", "migrate", "--check", "--database-url", url)
		if want := fmt.Sprintf("%d migrations are pending", count); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("check on an empty schema: %v; want %q", err, want)
		}
		if !strings.Contains(out, "pending 0001_foundation.sql (version 1)\n") || strings.Count(out, "pending ") != count {
			t.Errorf("check on an empty schema printed:\n%s", out)
		}
		if again, _ := run(t, "", "migrate", "--check", "--database-url", url); again != out {
			t.Errorf("a second check printed:\n%s\nthe first:\n%s", again, out)
		}

		if out, err := run(t, "", "migrate", "--database-url", url); err != nil || !strings.Contains(out, "applied 0001_foundation.sql") {
			t.Fatalf("migrate: %v\n%s", err, out)
		}
		out, err = run(t, "", "migrate", "--check", "--database-url", url)
		if want := fmt.Sprintf("schema is current (version %d)", latest); err != nil || !strings.Contains(out, want) {
			t.Errorf("check once migrated: %v\n%s\nwant %q", err, out, want)
		}

		execSQL(t, url, fmt.Sprintf("DELETE FROM schema_migrations WHERE version = %d", latest))
		out, err = run(t, "", "migrate", "--check", "--database-url", url)
		if err == nil || !strings.Contains(err.Error(), "1 migration is pending") ||
			!strings.HasPrefix(out, "pending ") || !strings.Contains(out, fmt.Sprintf("(version %d)\n", latest)) || strings.Count(out, "\n") != 1 {
			t.Errorf("check with the last migration missing: %v\n%s", err, out)
		}
	})
}

// TestNewerSchemaIsRefused: on a database a newer ims has migrated, ims
// migrate, migrate --check, serve and demo stop at once with a message
// naming both versions and what to run, and leave the database as it is.
func TestNewerSchemaIsRefused(t *testing.T) {
	eachDatabase(t, func(t *testing.T, url, dir string) {
		if _, err := run(t, "", "migrate", "--database-url", url); err != nil {
			t.Fatal(err)
		}
		latest := latestVersion(t, url)
		execSQL(t, url, fmt.Sprintf("INSERT INTO schema_migrations (version, name) VALUES (%d, '%04d_from_a_newer_ims.sql')", latest+1, latest+1))
		commands := [][]string{
			{"migrate", "--database-url", url},
			{"migrate", "--check", "--database-url", url},
			{"serve", "--database-url", url, "--addr", "127.0.0.1:0", "--secret-key-file", filepath.Join(dir, "secret.key")},
			{"org", "create", "--name", "Acme", "--database-url", url},
		}
		if strings.HasPrefix(url, "sqlite:") {
			commands = append(commands, []string{"demo", "--data", dir, "--addr", "127.0.0.1:0"})
		}
		for _, args := range commands {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a serve that started would stop here
			var out bytes.Buffer
			cmd := newRootCommand(strings.NewReader(""), &out, &out)
			cmd.SetArgs(args)
			err := cmd.ExecuteContext(ctx)
			cancel()
			for _, want := range []string{fmt.Sprintf("schema is at version %d", latest+1),
				fmt.Sprintf("newest migration is version %d", latest), "Run that newer ims"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("ims %s: %v; want %q\n%s", args[0], err, want, out.String())
					break
				}
			}
		}
		if v := schemaVersion(t, url); v != latest+1 {
			t.Errorf("schema version after the refusals: %d, want %d", v, latest+1)
		}
		execSQL(t, url, fmt.Sprintf("DELETE FROM schema_migrations WHERE version = %d", latest+1))
		if out, err := run(t, "", "migrate", "--check", "--database-url", url); err != nil {
			t.Errorf("check after the newer migration is gone: %v\n%s", err, out)
		}
	})
}
