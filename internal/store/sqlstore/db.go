// Package sqlstore implements the store API on SQLite (embedded default) and
// PostgreSQL (production, several nodes) with one set of queries.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver too
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"imslogin/internal/store"
)

type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a store backed by SQL. Its zero value is not usable: call Open.
type DB struct {
	*queries
	write, read *sql.DB
	lock        *os.File      // SQLite: the shared lock on PATH.lock, which a restore checks
	checkpoints *checkpointer // SQLite only
}

// Open connects to a database URL of the form "sqlite:PATH" or
// "postgres://…". It does not migrate: call Migrate.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(databaseURL, "sqlite:"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(ctx, databaseURL)
	}
	return nil, fmt.Errorf("database URL %q: want sqlite:PATH or postgres://…", redact(databaseURL))
}

// walPages is the length of SQLite's write-ahead log, in 4 KiB pages, at
// which the writer completes a checkpoint and the log starts again: 40,000
// (160 MB), not SQLite's 1,000. The background checkpointer has copied
// nearly all of it by then, but the writer's checkpoint must still sync the
// file while every write waits: 20–30 ms. Fewer, larger checkpoints cost
// less: 10,000 pages against 1,000 took 5–11% off a sign-in's database work
// at 1,000 members and 9–19% at 1,000,000 (hot pages copied once for many
// writes); 40,000 against 10,000 took the p99 of refresh grants at 16
// clients, which fill the log at 80 MB/s, from 24–42 ms to 13.6–16.2 ms.
// The file grows past it by what commits while that checkpoint runs: a
// quarter more at 250 MB/s (TestWriteAheadLogStaysBounded).
const walPages = 40_000

// openSQLite opens one writer connection and a pool of readers. Write
// transactions begin IMMEDIATE on the single writer, so concurrent sign-ins
// queue for the lock instead of failing with "database is locked".
func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("database URL sqlite: needs a file path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
	}
	lock, err := lockFile(lockPath(path), false)
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("open sqlite %s: a restore is replacing it; try again when it has finished", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: lock file: %w", path, err)
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	write, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate&_pragma=wal_autocheckpoint("+
		strconv.Itoa(walPages)+")")
	if err != nil {
		lock.Close()
		return nil, err
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		lock.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	read.SetMaxIdleConns(max(4, runtime.NumCPU()*2))
	ckpt, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		write.Close()
		read.Close()
		lock.Close()
		return nil, err
	}
	db := &DB{queries: newQueries(write, read, dialectSQLite), write: write, read: read, lock: lock,
		checkpoints: startCheckpointer(ckpt)}
	db.turns = new(turns)
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, databaseURL string) (*DB, error) {
	cc, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", redact(databaseURL), err)
	}
	// A server ending a connection (a restart, pg_terminate_backend) says
	// so in a FATAL error, which may reach the caller only as a broken
	// connection later (a row's scan, a rollback): it is noted here as it
	// arrives. The connection is closed on any FATAL error, as by default.
	unreachable := new(atomic.Int64)
	cc.OnPgError = func(_ *pgconn.PgConn, e *pgconn.PgError) bool {
		if unreachableCode(e.Code) {
			unreachable.Store(time.Now().UnixNano())
		}
		return !strings.EqualFold(e.Severity, "FATAL")
	}
	pool := stdlib.OpenDB(*cc)
	pool.SetMaxOpenConns(max(8, runtime.NumCPU()*4))
	pool.SetMaxIdleConns(max(8, runtime.NumCPU()*4))
	db := &DB{queries: newQueries(pool, pool, dialectPostgres), write: pool, read: pool}
	db.unreachable = unreachable
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres %s: %w", redact(databaseURL), err)
	}
	return db, nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	return db.read.PingContext(ctx)
}

// Close releases the connections.
func (db *DB) Close() error {
	var err error
	if db.checkpoints != nil {
		err = db.checkpoints.Close()
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.lock != nil {
		db.lock.Close() // after the connections, so a restore never meets one
	}
	return err
}

// Dialect names the database engine: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.String() }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries holds every store method. Outside a transaction w is the writer
// and r the reader pool, and statements are prepared once and reused (SQL
// parsing was most of a session check's cost); inside a transaction both
// are the transaction, and tx reuses the writer's statements.
type queries struct {
	w, r           querier
	d              dialect
	tx             *txStatements // nil outside a transaction
	wStmts, rStmts *stmtCache    // nil inside a transaction
	roundTrips     *atomic.Int64
	unreachable    *atomic.Int64 // when the database was last found out of reach, Unix nanoseconds
	turns          *turns        // SQLite outside a transaction: the writer in turn
}

// txStatements lends a transaction the writer's prepared statements. One
// the writer's cache lacks runs as text and is prepared once the
// transaction ends: the writer's one connection is the transaction's until
// then. On PostgreSQL cache is nil: pgx prepares and keeps statements per
// connection itself.
type txStatements struct {
	tx      *sql.Tx
	cache   *stmtCache
	missing []string
}

// get returns query's statement bound to the transaction, or nil to run it
// as text.
func (t *txStatements) get(ctx context.Context, query string) *sql.Stmt {
	if t.cache == nil {
		return nil
	}
	if s, ok := t.cache.stmts.Load(query); ok {
		return t.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	if !slices.Contains(t.missing, query) {
		t.missing = append(t.missing, query)
	}
	return nil
}

// prepareMissing prepares, on the writer, the statements the transaction
// ran as text, so the next transaction finds them. It waits for the writer
// like any write, once per statement in the life of the process; a failure
// only means that text is parsed again next time.
func (t *txStatements) prepareMissing(ctx context.Context) {
	for _, query := range t.missing {
		t.cache.get(ctx, query)
	}
}

func newQueries(write, read *sql.DB, d dialect) *queries {
	return &queries{w: write, r: read, d: d, wStmts: &stmtCache{db: write}, rStmts: &stmtCache{db: read},
		roundTrips: new(atomic.Int64), unreachable: new(atomic.Int64)}
}

// RoundTrips counts the statements sent to the database (transaction
// begin and commit included), so tests can pin the cost of a request.
func (db *DB) RoundTrips() int64 { return db.roundTrips.Load() }

var (
	_ store.Store       = (*queries)(nil)
	_ store.SigningKeys = (*queries)(nil)
	_ store.Grants      = (*queries)(nil)
	_ store.Logouts     = (*queries)(nil)
)

// txKey carries a transaction's queries in a context.
type txKey struct{}

// in returns the queries of the transaction ctx carries, if it is one of
// this database's, or q.
func (q *queries) in(ctx context.Context) *queries {
	if tq, ok := ctx.Value(txKey{}).(*queries); ok && tq.roundTrips == q.roundTrips {
		return tq
	}
	return q
}

// InTx runs fn inside one transaction on the writer; every call made with
// the context fn receives joins it.
func (q *queries) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if q.in(ctx).tx != nil {
		return fn(ctx)
	}
	if err := q.takeTurn(ctx); err != nil {
		return err
	}
	defer q.giveTurn()
	q.roundTrips.Add(2) // BEGIN and COMMIT or ROLLBACK
	tx, err := q.w.(*sql.DB).BeginTx(ctx, nil)
	if err != nil {
		return q.note(ctx, err)
	}
	stmts := &txStatements{tx: tx}
	if q.d == dialectSQLite {
		stmts.cache = q.wStmts
	}
	defer stmts.prepareMissing(ctx)
	tq := &queries{w: tx, r: tx, d: q.d, tx: stmts, roundTrips: q.roundTrips, unreachable: q.unreachable}
	if err := fn(context.WithValue(ctx, txKey{}, tq)); err != nil {
		return q.note(ctx, errors.Join(err, ignoreDone(tx.Rollback())))
	}
	return q.note(ctx, tx.Commit())
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

func (q *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q = q.in(ctx)
	q.roundTrips.Add(1)
	query = q.bind(query)
	stmt, err := q.statement(ctx, q.wStmts, query)
	if err != nil {
		return nil, q.note(ctx, translate(err))
	}
	if err := q.takeTurn(ctx); err != nil {
		return nil, err
	}
	defer q.giveTurn()
	if stmt == nil {
		res, err := q.w.ExecContext(ctx, query, args...)
		return res, q.note(ctx, translate(err))
	}
	res, err := stmt.ExecContext(ctx, args...)
	return res, q.note(ctx, translate(err))
}

// takeTurn waits for the SQLite writer's turn (nothing on PostgreSQL or
// inside a transaction, which has the writer already).
func (q *queries) takeTurn(ctx context.Context) error {
	if q.turns == nil || q.tx != nil {
		return nil
	}
	return q.turns.take(ctx)
}

func (q *queries) giveTurn() {
	if q.turns != nil && q.tx == nil {
		q.turns.give()
	}
}

// builtKey marks a context whose queries are built for the request (a
// member search: its words, filters, page size and cursor make the text).
type builtKey struct{}

// builtQueries returns ctx marked so its statements run as text and are
// never prepared: only constant texts are kept prepared, so the caches stay
// as small as the code's statements however many searches run.
func builtQueries(ctx context.Context) context.Context {
	return context.WithValue(ctx, builtKey{}, true)
}

// statement returns query's prepared statement from cache, or inside a
// transaction the writer's bound to it; nil means run the text.
func (q *queries) statement(ctx context.Context, cache *stmtCache, query string) (*sql.Stmt, error) {
	if ctx.Value(builtKey{}) != nil {
		return nil, nil
	}
	if q.tx != nil {
		return q.tx.get(ctx, query), nil
	}
	return cache.get(ctx, query)
}

// execOne runs a write that must touch exactly one row.
func (q *queries) execOne(ctx context.Context, query string, args ...any) error {
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// queryRow reads one row; Scan reports store.ErrNotFound through translate.
func (q *queries) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	q = q.in(ctx)
	q.roundTrips.Add(1)
	return notedRow{q, ctx, q.rowOn(ctx, q.r, q.rStmts, q.bind(query), args)}
}

// notedRow notes an unreachable database met by its Scan.
type notedRow struct {
	q   *queries
	ctx context.Context
	row rowScanner
}

func (n notedRow) Scan(dest ...any) error { return n.q.note(n.ctx, n.row.Scan(dest...)) }

// query reads rows from the reader pool (or the transaction).
func (q *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q = q.in(ctx)
	q.roundTrips.Add(1)
	query = q.bind(query)
	stmt, err := q.statement(ctx, q.rStmts, query)
	if err != nil {
		return nil, q.note(ctx, err)
	}
	var rows *sql.Rows
	if stmt == nil {
		rows, err = q.r.QueryContext(ctx, query, args...)
	} else {
		rows, err = stmt.QueryContext(ctx, args...)
	}
	return rows, q.note(ctx, err)
}

// insertID runs an INSERT … RETURNING id on the writer.
func (q *queries) insertID(ctx context.Context, query string, args ...any) (int64, error) {
	q = q.in(ctx)
	q.roundTrips.Add(1)
	var id int64
	err := q.rowOn(ctx, q.w, q.wStmts, q.bind(query+" RETURNING id"), args).Scan(&id)
	return id, q.note(ctx, translate(err))
}

// rowScanner is a *sql.Row, or the error that kept a statement from running.
type rowScanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }

// rowOn runs a statement returning one row on direct, the pool whose
// statements cache keeps (inside a transaction, on the transaction).
func (q *queries) rowOn(ctx context.Context, direct querier, cache *stmtCache, query string, args []any) rowScanner {
	q = q.in(ctx)
	if q.tx != nil {
		direct = q.w
	}
	stmt, err := q.statement(ctx, cache, query)
	if err != nil {
		return errRow{err}
	}
	if stmt == nil {
		return direct.QueryRowContext(ctx, query, args...)
	}
	return stmt.QueryRowContext(ctx, args...)
}

// stmtCache keeps one prepared statement per query text for a pool.
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map // query → *sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

var boundQueries sync.Map // "?"-style query → "$n"-style query

// bind rewrites "?" placeholders as "$1, $2, …" for PostgreSQL. Queries are
// written without literal question marks, so a plain scan is enough.
func (q *queries) bind(query string) string {
	if q.d != dialectPostgres {
		return query
	}
	if b, ok := boundQueries.Load(query); ok {
		return b.(string)
	}
	var sb strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&sb, "$%d", n)
			continue
		}
		sb.WriteRune(c)
	}
	boundQueries.Store(query, sb.String())
	return sb.String()
}

// translate maps driver errors onto the store's errors.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %s", store.ErrConflict, pgErr.ConstraintName)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) && (liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("%w: %s", store.ErrConflict, liteErr.Error())
	}
	return err
}

// redact hides a password in a database URL for messages.
func redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.User == nil {
		return databaseURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Pools are the connection pools by name, for metrics: SQLite's "write"
// (one connection) and "read"; PostgreSQL's one "pool".
func (db *DB) Pools() map[string]*sql.DB {
	if db.write == db.read {
		return map[string]*sql.DB{"pool": db.write}
	}
	return map[string]*sql.DB{"write": db.write, "read": db.read}
}
