package sqlstore

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// MigrateTo applies the missing migrations up to version.
func (db *DB) MigrateTo(ctx context.Context, version int) ([]string, error) {
	return db.migrateTo(ctx, version)
}

// AppliedMigrations lists the versions of the migrations the database has,
// in order; nil when it lacks even the table that records them.
func (db *DB) AppliedMigrations(ctx context.Context) ([]int, error) {
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if exists, err := db.hasMigrationsTable(ctx, conn); err != nil || !exists {
		return nil, err
	}
	applied, err := appliedVersions(ctx, conn)
	return slices.Sorted(maps.Keys(applied)), err
}

// Exec runs a statement with "?" placeholders, for changes no store method
// makes.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := db.exec(ctx, query, args...)
	return err
}

// SetSearchLimits changes how many term rows a search sorts at once, how
// many members it walks before gathering a word's members, and how many it
// gathers, until the test ends.
func SetSearchLimits(t interface{ Cleanup(func()) }, gather, walk, set int) {
	old := []int{gatherLimit, walkLimit, setLimit}
	gatherLimit, walkLimit, setLimit = gather, walk, set
	t.Cleanup(func() { gatherLimit, walkLimit, setLimit = old[0], old[1], old[2] })
}

// SearchWords is how the store writes a name key or email's words.
func SearchWords(text string) string { return searchWords(text) }

// StoredWords reads a member's name_words and email_words.
func (db *DB) StoredWords(ctx context.Context, id int64) (name, email string, err error) {
	err = db.queryRow(ctx, `SELECT name_words, email_words FROM members WHERE id = ?`, id).Scan(&name, &email)
	return name, email, err
}

// QueryPlan returns SQLite's EXPLAIN QUERY PLAN of query with args, one
// step a line.
func (db *DB) QueryPlan(ctx context.Context, query string, args ...any) (string, error) {
	rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		b.WriteString(detail + "\n")
	}
	return b.String(), rows.Err()
}

// Vacuumed reports whether PostgreSQL has vacuumed and analysed table by
// request (not by autovacuum).
func (db *DB) Vacuumed(ctx context.Context, table string) (bool, error) {
	var done bool
	err := db.queryRow(ctx, `SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL
		FROM pg_stat_user_tables WHERE relname = ?`, table).Scan(&done)
	return done, err
}

// WriterStatements counts the statements prepared on the writer.
func (db *DB) WriterStatements() int {
	n := 0
	db.wStmts.stmts.Range(func(any, any) bool { n++; return true })
	return n
}

// HousekeepingDeletes are the hourly deletes of old rows, each with the
// index it must search.
var HousekeepingDeletes = map[string]string{
	pruneSessionsSQL:            "sessions_expires",
	pruneAuditSQL:               "audit_events_at",
	pruneLockoutsSQL:            "signin_lockouts_last_failure",
	pruneDoneSQL("mail_outbox"): "mail_outbox_done",
	pruneDoneSQL("sms_outbox"):  "sms_outbox_done",
}

// RoleQueries are the store's searches for an organisation's owners and
// administrators, with their arguments but the organisation's.
var RoleQueries = map[string][]any{
	countActiveOwnersSQL: nil,
	administratorsSQL:    {10},
}

// OrganisationIDByNameKey finds an organisation's ID by its name key,
// reading no other column: for schemas older than the store's queries.
func (db *DB) OrganisationIDByNameKey(ctx context.Context, nameKey string) (int64, error) {
	var id int64
	err := db.queryRow(ctx, `SELECT id FROM organisations WHERE name_key = ?`, nameKey).Scan(&id)
	return id, err
}

// PreparedStatements is how many statements the caches hold prepared.
func (db *DB) PreparedStatements() int {
	n := 0
	for _, c := range []*stmtCache{db.wStmts, db.rStmts} {
		c.stmts.Range(func(any, any) bool { n++; return true })
	}
	return n
}

// WALPages is the log length at which SQLite's writer checkpoints.
const WALPages = walPages
