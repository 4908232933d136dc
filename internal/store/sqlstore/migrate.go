package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one numbered SQL file of a dialect, such as 0001_foundation.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations(d dialect) ([]migration, error) {
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_description.sql", dir, e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: version, name: e.Name(), sql: string(body)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	return list, nil
}

// Migration names one migration of the schema.
type Migration struct {
	Version int
	Name    string // its file, such as 0001_foundation.sql
}

// SchemaTooNewError means the database has migrations this binary does not
// know: a newer ims has migrated it (during a rolling upgrade, say), and
// this one, not knowing the schema, must not run on it. Migrate and Pending
// return it before changing anything.
type SchemaTooNewError struct {
	Dialect string
	Version int      // the database's schema version: its newest migration
	Latest  int      // the newest migration this binary knows
	Unknown []string // the database's migrations this binary does not know
}

func (e *SchemaTooNewError) Error() string {
	what := fmt.Sprintf("the %s database's schema is at version %d, newer than this ims, whose newest migration is version %d",
		e.Dialect, e.Version, e.Latest)
	if e.Version <= e.Latest { // a lower number this binary lacks: still a newer ims's
		what = fmt.Sprintf("the %s database's schema (version %d) has migrations this ims, whose newest is version %d, lacks",
			e.Dialect, e.Version, e.Latest)
	}
	return fmt.Sprintf("%s (unknown to it: %s): a newer ims has migrated the database. Run that newer ims, or a later one, "+
		"instead of this one", what, strings.Join(e.Unknown, ", "))
}

// checkKnown returns a *SchemaTooNewError when the database has applied
// migrations (version to name) that list lacks.
func checkKnown(d dialect, list []migration, applied map[int]string) error {
	known := map[int]bool{}
	for _, m := range list {
		known[m.version] = true
	}
	e := &SchemaTooNewError{Dialect: d.String()}
	if len(list) > 0 {
		e.Latest = list[len(list)-1].version
	}
	var unknown []int
	for v := range applied {
		e.Version = max(e.Version, v)
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Ints(unknown)
	for _, v := range unknown {
		e.Unknown = append(e.Unknown, applied[v])
	}
	return e
}

// Pending lists the migrations Migrate would apply, in order, changing
// nothing: it does not even create the table of applied migrations. It
// returns a *SchemaTooNewError when the database is newer than this binary.
func (db *DB) Pending(ctx context.Context) ([]Migration, error) {
	list, err := migrations(db.d)
	if err != nil {
		return nil, err
	}
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	exists, err := db.hasMigrationsTable(ctx, conn)
	if err != nil {
		return nil, err
	}
	applied := map[int]string{}
	if exists {
		if applied, err = appliedVersions(ctx, conn); err != nil {
			return nil, err
		}
	}
	if err := checkKnown(db.d, list, applied); err != nil {
		return nil, err
	}
	var pending []Migration
	for _, m := range list {
		if _, done := applied[m.version]; !done {
			pending = append(pending, Migration{Version: m.version, Name: m.name})
		}
	}
	return pending, nil
}

// hasMigrationsTable reports whether the database has its table of applied
// migrations, which Migrate creates.
func (db *DB) hasMigrationsTable(ctx context.Context, conn *sql.Conn) (bool, error) {
	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if db.d == dialectPostgres {
		query = `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END`
	}
	var n int
	err := conn.QueryRowContext(ctx, query).Scan(&n)
	return n > 0, err
}

// LatestVersion is the schema version Migrate brings a database to.
func (db *DB) LatestVersion() (int, error) {
	list, err := migrations(db.d)
	if err != nil || len(list) == 0 {
		return 0, err
	}
	return list[len(list)-1].version, nil
}

// Version reports the schema version the database is at (0 when empty).
func (db *DB) Version(ctx context.Context) (int, error) {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return 0, err
	}
	var v int
	err := db.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Migrate applies every migration the database lacks, each in its own
// transaction. On PostgreSQL an advisory lock keeps two nodes starting at
// once from applying the same migration twice. A database with migrations
// this binary does not know is refused with a *SchemaTooNewError, and left
// as it is.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	return db.migrateTo(ctx, math.MaxInt)
}

// migrateTo applies the missing migrations up to version, so tests can fill
// an older schema and watch a migration carry its rows forward.
func (db *DB) migrateTo(ctx context.Context, version int) (applied []string, err error) {
	list, err := migrations(db.d)
	if err != nil {
		return nil, err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if db.d == dialectPostgres {
		const lockID = 0x1a5_10c1 // any constant shared by every node
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
			return nil, fmt.Errorf("lock migrations: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return nil, err
	}
	done, err := appliedVersions(ctx, conn)
	if err != nil {
		return nil, err
	}
	if err := checkKnown(db.d, list, done); err != nil {
		return nil, err
	}
	for _, m := range list {
		if _, ok := done[m.version]; ok || m.version > version {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if step := migrationSteps[m.version]; step != nil {
			if err := step(ctx, tx, db.d); err != nil {
				tx.Rollback()
				return applied, fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, (&queries{d: db.d}).bind(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), m.version, m.name); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("record migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// appliedVersions reads which migrations a database has, version to name.
// Each missing one is applied, not only those above the highest, because
// branches developed side by side may land a lower number after a higher
// one has run; for the same reason a migration this binary lacks counts as
// newer than it, whatever its number.
func appliedVersions(ctx context.Context, conn *sql.Conn) (map[int]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT version, name FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]string{}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, err
		}
		done[v] = name
	}
	return done, rows.Err()
}
