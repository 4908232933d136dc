package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"imslogin/internal/store"
)

// note marks ctx's request, and the time, when err says the database is
// out of reach, and returns err.
func (q *queries) note(ctx context.Context, err error) error {
	if err != nil && unreachable(err) {
		q.unreachable.Store(time.Now().UnixNano())
		store.NoteUnreachable(ctx)
	}
	return err
}

// LastUnreachable is when a statement last met the database out of reach
// (zero if never): a failure the store could not tie to its request, such
// as a connection the server ended between two statements, still counts
// for the requests running then.
func (db *DB) LastUnreachable() time.Time {
	if n := db.unreachable.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// unreachableCode reports whether a PostgreSQL error code says the
// server is away: connection exceptions (08), shutting down or starting
// (57P), insufficient resources such as too many connections (53).
func unreachableCode(code string) bool {
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") || strings.HasPrefix(code, "53")
}

// unreachable reports whether err is the database being away rather than
// the statement being wrong: a lost or refused connection, a server
// shutting down or starting, no connection slot left, or SQLite's lock or
// disk failing. Trying again later may succeed; nothing was committed.
func unreachable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unreachableCode(pgErr.Code)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff { // the primary code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		pgconn.SafeToRetry(err) || err.Error() == "conn closed"
}
