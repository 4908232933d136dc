package sqlstore

import (
	"context"
	"sync"
)

// turns hands SQLite's one writer connection to waiting transactions in
// the order they asked. database/sql gives a freed connection to a random
// waiter, so with sixteen requests queued for the writer some waited for
// dozens of others: the slowest hundredth of refresh grants took 55 ms
// where the queue was 8 ms long. In turn, none waits for more than the
// writes queued before it. Transactions and plain writes (exec) take
// turns; the few writes that return a row (insertID, writeRow) hold the
// connection until their Scan, so they queue for it as before.
type turns struct {
	mu      sync.Mutex
	busy    bool
	waiting []chan struct{} // oldest first; a channel is closed to hand over
}

// take waits for this caller's turn, or for ctx to end.
func (t *turns) take(ctx context.Context) error {
	t.mu.Lock()
	if !t.busy {
		t.busy = true
		t.mu.Unlock()
		return nil
	}
	mine := make(chan struct{})
	t.waiting = append(t.waiting, mine)
	t.mu.Unlock()
	select {
	case <-mine:
		return nil
	case <-ctx.Done():
		t.mu.Lock()
		defer t.mu.Unlock()
		for i, c := range t.waiting {
			if c == mine {
				t.waiting = append(t.waiting[:i], t.waiting[i+1:]...)
				return ctx.Err()
			}
		}
		// Handed over as ctx ended: pass the turn on.
		t.passLocked()
		return ctx.Err()
	}
}

// give ends the caller's turn, handing it to the oldest waiter.
func (t *turns) give() {
	t.mu.Lock()
	t.passLocked()
	t.mu.Unlock()
}

func (t *turns) passLocked() {
	if len(t.waiting) == 0 {
		t.busy = false
		return
	}
	next := t.waiting[0]
	t.waiting = t.waiting[1:]
	close(next)
}

// queued reports how many callers wait for a turn.
func (t *turns) queued() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.waiting)
}
