package lastsignin_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"imslogin/internal/lastsignin"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func lastSignIn(t *testing.T, db store.Store, m store.Member) time.Time {
	t.Helper()
	got, err := db.MemberByID(context.Background(), m.OrgID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.LastSignInAt
}

// TestFlushWritesEachMembersLatestSignIn: nothing is written until the
// flush, which writes the latest of each member's sign-ins, skips a member
// that no longer exists, and never moves a time back.
func TestFlushWritesEachMembersLatestSignIn(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		ana, bo := storetest.NewMember(t, db, org.ID, "ana@acme.test"), storetest.NewMember(t, db, org.ID, "bo@acme.test")
		at := time.UnixMilli(1_800_000_000_000).UTC()
		r := lastsignin.New(db, quiet)
		r.Record(org.ID, ana.ID, at.Add(time.Minute))
		r.Record(org.ID, ana.ID, at)
		r.Record(org.ID, bo.ID, at)
		r.Record(org.ID, 1_000_000, at) // no such member
		if got := lastSignIn(t, db, ana); !got.IsZero() {
			t.Fatalf("written before the flush: %v", got)
		}
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := lastSignIn(t, db, ana); !got.Equal(at.Add(time.Minute)) {
			t.Errorf("Ana's last sign-in %v, want the later of her two, %v", got, at.Add(time.Minute))
		}
		if got := lastSignIn(t, db, bo); !got.Equal(at) {
			t.Errorf("Bo's last sign-in %v, want %v", got, at)
		}
		r.Record(org.ID, ana.ID, at) // an earlier sign-in, from a slower batch
		if err := r.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := lastSignIn(t, db, ana); !got.Equal(at.Add(time.Minute)) {
			t.Errorf("an earlier sign-in moved Ana's back to %v", got)
		}
	})
}

// TestFailedFlushKeepsTheTimes: a flush that cannot write leaves the times
// for the next one.
func TestFailedFlushKeepsTheTimes(t *testing.T) {
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	ana := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	at := time.UnixMilli(1_800_000_000_000).UTC()
	r := lastsignin.New(db, quiet)
	r.Record(org.ID, ana.ID, at)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Flush(cancelled); err == nil {
		t.Fatal("a flush with a cancelled context succeeded")
	}
	if got := lastSignIn(t, db, ana); !got.IsZero() {
		t.Fatalf("the failed flush wrote %v", got)
	}
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := lastSignIn(t, db, ana); !got.Equal(at) {
		t.Errorf("after the next flush: %v, want %v", got, at)
	}
}

// TestRunFlushesEveryInterval: a recorded sign-in reaches the database
// within a few intervals without anyone flushing.
func TestRunFlushesEveryInterval(t *testing.T) {
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	ana := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	r := lastsignin.New(db, quiet)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go r.Run(ctx, 20*time.Millisecond)
	at := time.UnixMilli(1_800_000_000_000).UTC()
	r.Record(org.ID, ana.ID, at)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if lastSignIn(t, db, ana).Equal(at) {
			return
		}
	}
	t.Errorf("not written within 5 s of 20 ms intervals: %v", lastSignIn(t, db, ana))
}

// TestRunLogsFailedFlushes: a periodic flush that cannot write says so in
// the log, with the store's error, and Run goes on.
func TestRunLogsFailedFlushes(t *testing.T) {
	var log lockedBuffer
	r := lastsignin.New(failingStore{}, slog.New(slog.NewTextHandler(&log, nil)))
	r.Record(1, 2, time.Now())
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go r.Run(ctx, 10*time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got := log.String(); strings.Count(got, `msg="recording last sign-ins" err="disk full"`) >= 2 {
			return
		}
	}
	t.Errorf("log after 5 s of failing flushes: %q", log.String())
}

// TestRunWritesWhatAFlushCutShortKept: ending Run's context interrupts the
// flush under way, and Run writes its times before it returns.
func TestRunWritesWhatAFlushCutShortKept(t *testing.T) {
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	ana := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	st := &interruptedOnce{Store: db, started: make(chan struct{})}
	r := lastsignin.New(st, quiet)
	at := time.UnixMilli(1_800_000_000_000).UTC()
	r.Record(org.ID, ana.ID, at)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, 10*time.Millisecond)
	}()
	<-st.started
	stop()
	<-done
	if got := lastSignIn(t, db, ana); !got.Equal(at) {
		t.Errorf("after Run returned: %v, want %v", got, at)
	}
}

// TestRunLogsAFailedLastFlush: when the last flush, as Run stops, cannot
// write, the log says so.
func TestRunLogsAFailedLastFlush(t *testing.T) {
	var log lockedBuffer
	r := lastsignin.New(failingStore{}, slog.New(slog.NewTextHandler(&log, nil)))
	r.Record(1, 2, time.Now())
	ctx, stop := context.WithCancel(context.Background())
	stop()
	r.Run(ctx, time.Hour)
	if got := log.String(); !strings.Contains(got, `msg="recording last sign-ins" err="disk full"`) {
		t.Errorf("log after a failed last flush: %q", got)
	}
}

// interruptedOnce's first transaction waits until its context ends and
// fails with it; later ones reach the store.
type interruptedOnce struct {
	lastsignin.Store
	started chan struct{}
	once    sync.Once
}

func (s *interruptedOnce) InTx(ctx context.Context, fn func(context.Context) error) error {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return s.Store.InTx(ctx, fn)
	}
	close(s.started)
	<-ctx.Done()
	return ctx.Err()
}

// failingStore fails every transaction.
type failingStore struct{ lastsignin.Store }

func (failingStore) InTx(context.Context, func(context.Context) error) error {
	return errors.New("disk full")
}

// lockedBuffer is a log written by one goroutine and read by another.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
