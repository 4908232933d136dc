package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"hash/fnv"
	"time"
)

// RunExclusive runs fn while holding the job's lock: on PostgreSQL a
// session advisory lock on a connection of its own (it ends with the
// connection, so a node that dies gives it back), on SQLite a lease row.
func (q *queries) RunExclusive(ctx context.Context, name string, lease time.Duration, now time.Time,
	fn func(ctx context.Context) error) (bool, error) {
	if q.in(ctx).tx != nil {
		return false, errors.New("sqlstore: RunExclusive inside a transaction")
	}
	if q.d == dialectPostgres {
		return q.runAdvisory(ctx, name, fn)
	}
	return q.runLeased(ctx, name, lease, now, fn)
}

// jobLockKey is the advisory lock's key for a job: a 64-bit hash of its
// name under a fixed prefix, apart from the migrations' lock.
func jobLockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("imslogin job " + name))
	return int64(h.Sum64())
}

func (q *queries) runAdvisory(ctx context.Context, name string, fn func(ctx context.Context) error) (bool, error) {
	conn, err := q.w.(*sql.DB).Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	key := jobLockKey(name)
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil || !locked {
		return false, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	return true, fn(ctx)
}

func (q *queries) runLeased(ctx context.Context, name string, lease time.Duration, now time.Time,
	fn func(ctx context.Context) error) (bool, error) {
	holder := rand.Text()
	res, err := q.exec(ctx, `INSERT INTO job_leases (name, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE job_leases.until <= ?`, name, holder, ms(now.Add(lease)), ms(now))
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	defer q.exec(context.WithoutCancel(ctx), `DELETE FROM job_leases WHERE name = ? AND holder = ?`, name, holder)
	return true, fn(ctx)
}
