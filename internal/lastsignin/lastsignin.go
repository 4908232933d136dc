// Package lastsignin records when members last signed in, in batches, off
// the sign-in's path. The time is shown in Team Members only; written in
// each sign-in's own transaction it rewrote the member's row and its place
// in the last-sign-in index, pages at random in a large database, while
// the member waited.
package lastsignin

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"imslogin/internal/store"
)

// Store is where the times are written.
type Store interface {
	RecordSignIn(ctx context.Context, orgID, memberID int64, at time.Time) error
	store.Transactor
}

// Recorder gathers sign-in times and writes them together.
type Recorder struct {
	store   Store
	log     *slog.Logger
	mu      sync.Mutex
	pending map[member]time.Time
}

type member struct{ orgID, id int64 }

// New returns a Recorder writing to st.
func New(st Store, log *slog.Logger) *Recorder {
	return &Recorder{store: st, log: log, pending: map[member]time.Time{}}
}

// Record notes that the member signed in at at; of several notes before a
// flush, the latest is written.
func (r *Recorder) Record(orgID, memberID int64, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.note(member{orgID, memberID}, at)
}

func (r *Recorder) note(m member, at time.Time) {
	if at.After(r.pending[m]) {
		r.pending[m] = at
	}
}

// Flush writes every noted time in one transaction. A member removed since
// is skipped; if the transaction fails, its times are noted again for the
// next flush.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = map[member]time.Time{}
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := r.store.InTx(ctx, func(ctx context.Context) error {
		for m, at := range batch {
			if err := r.store.RecordSignIn(ctx, m.orgID, m.id, at); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.mu.Lock()
		for m, at := range batch {
			r.note(m, at)
		}
		r.mu.Unlock()
	}
	return err
}

// finalFlushTimeout bounds the last write, when Run stops: one transaction
// of at most an interval's sign-ins.
const finalFlushTimeout = 5 * time.Second

// Run flushes every interval until ctx ends, then once more with time of
// its own, so that what a flush cut short by ctx kept is written too. The
// caller ends ctx when nothing can sign in any longer, and waits for Run.
func (r *Recorder) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			defer cancel()
			r.flushOrLog(final)
			return
		case <-tick.C:
			if ctx.Err() == nil {
				r.flushOrLog(ctx)
			}
		}
	}
}

// flushOrLog flushes and logs a failure, unless ctx ended meanwhile: the
// final flush writes those times.
func (r *Recorder) flushOrLog(ctx context.Context) {
	if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
		r.log.Error("recording last sign-ins", "err", err)
	}
}
