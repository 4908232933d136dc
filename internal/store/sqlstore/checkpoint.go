package sqlstore

import (
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often the background checkpointer copies the
// write-ahead log into the database file: often enough that the writer's
// own checkpoint (at walPages) finds at most a few thousand pages left.
const checkpointEvery = 50 * time.Millisecond

// checkpointer copies SQLite's write-ahead log into the database file on a
// connection of its own, a little at a time. Left to the writer (SQLite's
// automatic checkpoint), the whole copy runs inside the COMMIT of
// whichever request crossed the threshold, and every write queued behind
// the one writer connection waits for it. A passive checkpoint on another
// connection blocks neither writers nor readers, but the log starts again
// from its beginning only after a checkpoint that no commit overtook, which
// under steady writes only the writer's own achieves: so the writer still
// checkpoints at its threshold, with little left to copy.
type checkpointer struct {
	conn *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func startCheckpointer(conn *sql.DB) *checkpointer {
	conn.SetMaxOpenConns(1)
	c := &checkpointer{conn: conn, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			// PASSIVE copies what no reader still needs and never waits; an
			// error (busy, or the disk) is met again at the next tick.
			c.conn.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// Close stops the checkpointer, once however often it is called (as
// DB.Close may be); SQLite checkpoints once more when the last connection
// closes.
func (c *checkpointer) Close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	return c.conn.Close()
}
