package registration_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/registration"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

func TestCleanupRemovesProfilesUnlinkedPastTheLimit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	jane, _, _ := e.register(t, "jane@acme.test")
	linked, _, step2 := e.register(t, "lin@acme.test")
	if _, resp, _ := e.linkWith(t, step2, e.JDoe.Email); resp.StatusCode != 303 {
		t.Fatal("Step 2 failed")
	}
	reset, _, _ := e.register(t, "ray@acme.test")
	day := 24 * time.Hour
	e.App.Clock.Advance(20 * day)
	if err := e.App.Server.Registrations.ResetRemoval(ctx, e.by(), reset.ID); err != nil {
		t.Fatal(err)
	}
	cleaner := e.App.Server.Cleanup
	if removed, ran, err := cleaner.RunOnce(ctx); err != nil || !ran || removed != 0 {
		t.Fatalf("after 20 days: removed %d, ran %v, %v; want none", removed, ran, err)
	}
	e.App.Clock.Advance(10*day + time.Minute)
	removed, ran, err := cleaner.RunOnce(ctx)
	if err != nil || !ran || removed != 1 {
		t.Fatalf("after 30 days: removed %d, ran %v, %v; want Jane only", removed, ran, err)
	}
	if _, err := e.App.DB.MemberByID(ctx, e.App.Org.ID, jane.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the unlinked profile stayed: %v", err)
	}
	for _, m := range []store.Member{linked, reset, e.App.Member} {
		if _, err := e.App.DB.MemberByID(ctx, e.App.Org.ID, m.ID); err != nil {
			t.Errorf("%s was removed: %v", m.Email, err)
		}
	}
	events, _ := e.App.DB.AuditEvents(ctx, e.App.Org.ID, store.AuditFilter{Kind: audit.UnlinkedRemoval, Email: "jane@acme.test"})
	if len(events) != 1 || events[0].Actor != "clean-up" {
		t.Errorf("audit: %+v", events)
	}
}

// TestCleanupRunsOnceAcrossNodes runs the job on two nodes at once over one
// database: one runs it, the other finds it taken.
func TestCleanupRunsOnceAcrossNodes(t *testing.T) {
	for name, open := range map[string]func(t testing.TB) *sqlstore.DB{"SQLite": sqltest.NewSQLite, "PostgreSQL": sqltest.NewPostgres} {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
			org := store.Organisation{Name: "Acme", Settings: store.DefaultOrganisationSettings(), Licences: 10, CreatedAt: now}
			if err := db.CreateOrganisation(ctx, &org); err != nil {
				t.Fatal(err)
			}
			m := store.Member{OrgID: org.ID, Email: "jane@acme.test", Name: "Jane", Role: store.RoleMember,
				Status: store.StatusInvited, Licensed: true, CreatedAt: now}
			if err := db.CreateMember(ctx, &m); err != nil {
				t.Fatal(err)
			}
			old := now.Add(-31 * 24 * time.Hour)
			if err := db.PutRegistration(ctx, store.Registration{OrgID: org.ID, MemberID: m.ID, Email: m.Email, SentAt: old,
				ExpiresAt: old, CountFrom: old}); err != nil {
				t.Fatal(err)
			}
			// Node A holds the job until node B has tried.
			started, tried := make(chan struct{}, 1), make(chan struct{})
			nodeA := &registration.Cleaner{Store: blocking{DB: db, started: started, wait: tried}, Log: discard, Now: func() time.Time { return now }}
			nodeB := &registration.Cleaner{Store: db, Log: discard, Now: func() time.Time { return now }}
			type result struct {
				removed int
				ran     bool
				err     error
			}
			a := make(chan result, 1)
			go func() {
				removed, ran, err := nodeA.RunOnce(ctx)
				a <- result{removed, ran, err}
			}()
			<-started
			removedB, ranB, errB := nodeB.RunOnce(ctx)
			close(tried)
			resA := <-a
			if errB != nil || ranB || removedB != 0 {
				t.Errorf("node B: removed %d, ran %v, %v; want it to find the job taken", removedB, ranB, errB)
			}
			if resA.err != nil || !resA.ran || resA.removed != 1 {
				t.Errorf("node A: %+v; want it to remove the profile", resA)
			}
		})
	}
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// blocking is a node's store whose clean-up query waits until wait closes.
type blocking struct {
	*sqlstore.DB
	started chan<- struct{}
	wait    <-chan struct{}
}

func (b blocking) UnlinkedPastLimit(ctx context.Context, now time.Time, limit int) ([]store.Unlinked, error) {
	b.started <- struct{}{}
	<-b.wait
	return b.DB.UnlinkedPastLimit(ctx, now, limit)
}
