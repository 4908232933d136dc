package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"imslogin/internal/store"
)

func rule(at time.Time) store.FailureRule {
	return store.FailureRule{Now: at, Threshold: 3, LockFor: 15 * time.Minute, Forget: 24 * time.Hour}
}

// reserve counts one attempt and fails the test on a database error.
func reserve(t *testing.T, s store.Store, orgID int64, id string, r store.FailureRule) (store.Lockout, bool) {
	t.Helper()
	l, ok, err := s.ReserveSigninAttempt(context.Background(), orgID, id, r)
	if err != nil {
		t.Fatalf("reserve an attempt for %q: %v", id, err)
	}
	return l, ok
}

func testLockoutSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := store.Organisation{Name: "Strict", Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
	o.Settings.LockoutThreshold, o.Settings.LockoutDuration = 3, 1440*time.Minute
	if err := s.CreateOrganisation(ctx, &o); err != nil {
		t.Fatal(err)
	}
	got, err := s.OrganisationByID(ctx, o.ID)
	if err != nil || got.Settings != o.Settings {
		t.Errorf("settings: got %+v, %v; want %+v", got.Settings, err, o.Settings)
	}
	bad := store.Organisation{Name: "Lax", Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
	bad.Settings.LockoutDuration = 1441 * time.Minute
	if err := s.CreateOrganisation(ctx, &bad); err == nil {
		t.Error("a lock of 1441 minutes was stored; the database must refuse more than 1440")
	}
}

func testLockouts(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	id := "ana@acme.test"
	if _, err := s.SigninLockout(ctx, o.ID, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before any failure: got %v, want ErrNotFound", err)
	}
	for i, want := range []int{1, 2} {
		l, ok := reserve(t, s, o.ID, id, rule(now.Add(time.Duration(i)*time.Second)))
		if !ok || l.Failures != want || l.Locked(now.Add(time.Minute)) {
			t.Fatalf("attempt %d: got %+v, reserved %v; want count %d, reserved and no lock", i+1, l, ok, want)
		}
	}
	l, ok := reserve(t, s, o.ID, id, rule(now.Add(time.Minute)))
	wantUntil := now.Add(16 * time.Minute)
	if !ok || l.Failures != 3 || !l.LockedUntil.Equal(wantUntil) {
		t.Fatalf("third attempt: got %+v, reserved %v; want reserved, 3 and locked until %v", l, ok, wantUntil)
	}
	// An attempt during the lock is refused: nothing is counted, and the
	// lock is neither extended nor shortened.
	l, ok = reserve(t, s, o.ID, id, rule(now.Add(2*time.Minute)))
	if ok || l.Failures != 3 || !l.LockedUntil.Equal(wantUntil) {
		t.Errorf("attempt during lock: got %+v, reserved %v; want refused, 3, still until %v", l, ok, wantUntil)
	}
	if got, _ := s.SigninLockout(ctx, o.ID, id); !got.Locked(now.Add(15*time.Minute)) || got.Locked(wantUntil) {
		t.Errorf("stored lock %+v: want locked just before %v and free at it", got, wantUntil)
	}
	// Once the lock has lifted, counting starts again.
	l, ok = reserve(t, s, o.ID, id, rule(wantUntil))
	if !ok || l.Failures != 1 || !l.LockedUntil.IsZero() {
		t.Errorf("first failure after the lock: got %+v, want a fresh count of 1", l)
	}
	// Failures long ago are forgotten.
	l, _ = reserve(t, s, o.ID, id, rule(wantUntil.Add(25*time.Hour)))
	if l.Failures != 1 {
		t.Errorf("failure a day later: got %d, want 1", l.Failures)
	}
	cleared, err := s.ClearSigninLockout(ctx, o.ID, id)
	if err != nil || cleared.Failures != 1 {
		t.Errorf("clear: got %+v, %v", cleared, err)
	}
	if _, err := s.ClearSigninLockout(ctx, o.ID, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second clear: got %v, want ErrNotFound", err)
	}
	// An organisation name that does not exist counts under NoOrganisation.
	for range 3 {
		l, _ = reserve(t, s, store.NoOrganisation, "nosuch\nana@acme.test", rule(now))
	}
	if !l.Locked(now) {
		t.Errorf("unknown organisation: got %+v; want locked", l)
	}
	// Pruning keeps live locks and recent counts.
	reserve(t, s, o.ID, "old@acme.test", rule(now.Add(-48*time.Hour)))
	n, err := s.PruneSigninLockouts(ctx, now.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Errorf("prune: removed %d, %v; want only the stale count", n, err)
	}
	if _, err := s.SigninLockout(ctx, store.NoOrganisation, "nosuch\nana@acme.test"); err != nil {
		t.Errorf("prune removed a live lock: %v", err)
	}
}

// testLockoutRelease gives back reservations: the count drops by one, and
// the lock goes only when the released attempt set it.
func testLockoutRelease(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	id := "ana@acme.test"
	reserve(t, s, o.ID, id, rule(now))
	reserve(t, s, o.ID, id, rule(now))
	if err := s.ReleaseSigninAttempt(ctx, o.ID, id, false); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.SigninLockout(ctx, o.ID, id); l.Failures != 1 {
		t.Errorf("after a release: %+v, want 1 failure", l)
	}
	reserve(t, s, o.ID, id, rule(now))
	if l, _ := reserve(t, s, o.ID, id, rule(now)); !l.Locked(now) {
		t.Fatalf("third attempt did not lock: %+v", l)
	}
	if err := s.ReleaseSigninAttempt(ctx, o.ID, id, true); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.SigninLockout(ctx, o.ID, id); l.Failures != 2 || l.Locked(now) {
		t.Errorf("after releasing the attempt that locked: %+v, want 2 failures and no lock", l)
	}
	if err := s.ReleaseSigninAttempt(ctx, NewOrganisation(t, s, "Beta").ID, id, true); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.SigninLockout(ctx, o.ID, id); l.Failures != 2 {
		t.Errorf("another organisation's release changed Acme's count: %+v", l)
	}
}

// testLockoutsConcurrent reserves attempts from many goroutines at once:
// exactly threshold of them are reserved, each count once, the last of them
// locks, and every other is refused.
func testLockoutsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	const attempts, threshold = 24, 10
	r := rule(now)
	r.Threshold = threshold
	var wg sync.WaitGroup
	var mu sync.Mutex
	var counts []int
	refused := 0
	for range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, ok, err := s.ReserveSigninAttempt(ctx, o.ID, "ana@acme.test", r)
			if err != nil {
				t.Errorf("concurrent attempt: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				refused++
				if !l.Locked(now) || l.Failures != threshold {
					t.Errorf("refused with %+v: want the lock at %d", l, threshold)
				}
				return
			}
			counts = append(counts, l.Failures)
			if (l.Failures >= threshold) != l.Locked(now) {
				t.Errorf("count %d with lock %v", l.Failures, l.LockedUntil)
			}
		}()
	}
	wg.Wait()
	sort.Ints(counts)
	if len(counts) != threshold || refused != attempts-threshold {
		t.Fatalf("%d reserved (%v) and %d refused: want %d and %d", len(counts), counts, refused, threshold, attempts-threshold)
	}
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts %v: want each of 1..%d exactly once", counts, threshold)
		}
	}
}

func testLockoutIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	for range 3 {
		reserve(t, s, a.ID, "same@example.test", rule(now))
	}
	if _, err := s.SigninLockout(ctx, b.ID, "same@example.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Beta sees Alpha's lock: %v", err)
	}
	if _, err := s.ClearSigninLockout(ctx, b.ID, "same@example.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Beta cleared Alpha's lock: %v", err)
	}
	if l, _ := s.SigninLockout(ctx, a.ID, "same@example.test"); !l.Locked(now) {
		t.Errorf("Alpha's lock is gone: %+v", l)
	}
	l, _ := reserve(t, s, b.ID, "same@example.test", rule(now))
	if l.Failures != 1 {
		t.Errorf("Beta's count started at %d, want 1", l.Failures)
	}
}

func auditEvent(orgID int64, at time.Time, kind, email string) store.AuditEvent {
	return store.AuditEvent{OrgID: orgID, At: at, Kind: kind, Email: email, Actor: email, Address: "192.0.2.7",
		UserAgent: "Firefox", Detail: "because"}
}

func testAuditLog(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	first := auditEvent(o.ID, now, "signin-failure", "ana@acme.test")
	first.MemberID = m.ID
	for _, e := range []store.AuditEvent{first, auditEvent(o.ID, now.Add(time.Minute), "signin-success", "ana@acme.test"),
		auditEvent(o.ID, now.Add(2*time.Minute), "signin-failure", "bob@acme.test")} {
		if err := s.AppendAuditEvent(ctx, &e); err != nil || e.ID == 0 {
			t.Fatalf("append: %v (id %d)", err, e.ID)
		}
	}
	all, err := s.AuditEvents(ctx, o.ID, store.AuditFilter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("all: got %d, %v; want 3", len(all), err)
	}
	if all[0].Email != "bob@acme.test" || all[2].Kind != "signin-failure" {
		t.Errorf("not newest first: %+v", all)
	}
	got := all[2]
	first.ID = got.ID
	if fmt.Sprint(got) != fmt.Sprint(first) {
		t.Errorf("stored entry:\n got %+v\nwant %+v", got, first)
	}
	for name, tc := range map[string]struct {
		f    store.AuditFilter
		want int
	}{
		"by email":        {store.AuditFilter{Email: "ana@acme.test"}, 2},
		"by kind":         {store.AuditFilter{Kind: "signin-failure"}, 2},
		"email and kind":  {store.AuditFilter{Email: "ana@acme.test", Kind: "signin-failure"}, 1},
		"since":           {store.AuditFilter{Since: now.Add(time.Minute)}, 2},
		"until":           {store.AuditFilter{Until: now.Add(time.Minute)}, 1},
		"limit":           {store.AuditFilter{Limit: 1}, 1},
		"nothing matches": {store.AuditFilter{Kind: "unlock"}, 0},
	} {
		if got, err := s.AuditEvents(ctx, o.ID, tc.f); err != nil || len(got) != tc.want {
			t.Errorf("%s: got %d entries, %v; want %d", name, len(got), err, tc.want)
		}
	}
	n, err := s.PruneAuditEvents(ctx, now.Add(time.Minute))
	if err != nil || n != 1 {
		t.Errorf("prune: removed %d, %v; want 1", n, err)
	}
}

func testAuditIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	e := auditEvent(a.ID, now, "signin-success", "same@example.test")
	if err := s.AppendAuditEvent(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AuditEvents(ctx, b.ID, store.AuditFilter{Email: "same@example.test"}); err != nil || len(got) != 0 {
		t.Errorf("Beta reads Alpha's audit log: %+v, %v", got, err)
	}
}

// testAuditInTransaction: an entry is written with the change it records,
// or not at all.
func testAuditInTransaction(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context) error {
		e := auditEvent(o.ID, now, "member-add", "half@acme.test")
		if err := s.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got, _ := s.AuditEvents(ctx, o.ID, store.AuditFilter{}); len(got) != 0 {
		t.Errorf("entry of a rolled-back change: %+v", got)
	}
}

func newSession(t *testing.T, s store.Store, m store.Member, token string, lastSeen time.Time) store.Session {
	t.Helper()
	sess := store.Session{TokenHash: tokenHash(token), OrgID: m.OrgID, MemberID: m.ID, CreatedAt: now, LastSeenAt: lastSeen,
		AuthTime: now, ExpiresAt: now.Add(time.Hour), UserAgent: "UA " + token, Address: "192.0.2.1"}
	if err := s.CreateSession(context.Background(), &sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

func testMemberSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	ana, bob := NewMember(t, s, o.ID, "ana@acme.test"), NewMember(t, s, o.ID, "bob@acme.test")
	older := newSession(t, s, ana, "a1", now)
	newer := newSession(t, s, ana, "a2", now.Add(time.Minute))
	bobs := newSession(t, s, bob, "b1", now)
	list, err := s.MemberSessions(ctx, o.ID, ana.ID)
	if err != nil || len(list) != 2 || list[0].ID != newer.ID || list[1].ID != older.ID {
		t.Fatalf("ana's sessions: got %+v, %v; want the newer then the older", list, err)
	}
	if list[0].UserAgent != "UA a2" || list[0].Address != "192.0.2.1" {
		t.Errorf("session details lost: %+v", list[0])
	}
	if err := s.DeleteMemberSession(ctx, o.ID, ana.ID, bobs.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ana deleted bob's session: %v", err)
	}
	if err := s.DeleteMemberSession(ctx, o.ID, ana.ID, older.ID); err != nil {
		t.Fatal(err)
	}
	later := now.Add(20 * time.Minute)
	if err := s.RenewSession(ctx, o.ID, newer.ID, tokenHash("a2-renewed"), later, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignedInByTokenHash(ctx, tokenHash("a2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old token still valid after renewal: %v", err)
	}
	si, err := s.SignedInByTokenHash(ctx, tokenHash("a2-renewed"))
	if err != nil || !si.Session.AuthTime.Equal(later) || si.Session.ID != newer.ID || !slices.Equal(si.Session.AMR, newer.AMR) {
		t.Errorf("renewed session: %+v, %v; want auth time %v, the same ID and methods", si.Session, err, later)
	}
	// a step-up: the same session, its methods replaced
	stepped := []string{"pwd", "otp", "mfa"}
	if err := s.RenewSession(ctx, o.ID, newer.ID, tokenHash("a2-stepped"), later.Add(time.Minute), stepped); err != nil {
		t.Fatal(err)
	}
	if si, err := s.SignedInByTokenHash(ctx, tokenHash("a2-stepped")); err != nil || si.Session.ID != newer.ID || !slices.Equal(si.Session.AMR, stepped) {
		t.Errorf("stepped-up session: %+v, %v; want the same ID with methods %v", si.Session, err, stepped)
	}
	if list, _ := s.MemberSessions(ctx, o.ID, bob.ID); len(list) != 1 {
		t.Errorf("bob's sessions: %+v", list)
	}
}

func testSessionIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	ma := NewMember(t, s, a.ID, "same@example.test")
	sess := newSession(t, s, ma, "x", now)
	if list, err := s.MemberSessions(ctx, b.ID, ma.ID); err != nil || len(list) != 0 {
		t.Errorf("Beta lists Alpha's sessions: %+v, %v", list, err)
	}
	if err := s.DeleteMemberSession(ctx, b.ID, ma.ID, sess.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Beta deleted Alpha's session: %v", err)
	}
	if err := s.RenewSession(ctx, b.ID, sess.ID, tokenHash("stolen"), now, []string{"pwd"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Beta renewed Alpha's session: %v", err)
	}
}

// testPasswordSubject checks the one read of a password sign-in against the
// reads it replaces, in every combination of member and lockout found, and
// that neither comes from another organisation.
func testPasswordSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha Works"), NewOrganisation(t, s, "Beta")
	ana := NewMember(t, s, a.ID, "ana@alpha.test")
	if err := s.UpdateProfile(ctx, a.ID, ana.ID, "Ana A.", "About Ana"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSignIn(ctx, a.ID, ana.ID, now); err != nil {
		t.Fatal(err)
	}
	ana, _ = s.MemberByID(ctx, a.ID, ana.ID)
	NewMember(t, s, b.ID, "bo@beta.test")
	var locked store.Lockout
	for i := range 3 { // rule's threshold: a lock, with every time column set
		locked, _ = reserve(t, s, a.ID, "ana@alpha.test", rule(now.Add(time.Duration(i)*time.Second)))
	}
	if !locked.Locked(now.Add(time.Minute)) {
		t.Fatalf("three failures left %+v, want a lock", locked)
	}
	reserve(t, s, b.ID, "eve@alpha.test", rule(now)) // another organisation's count

	got, err := s.PasswordSubject(ctx, "  alpha WORKS ", "ana@alpha.test", "ana@alpha.test")
	if err != nil {
		t.Fatal(err)
	}
	want := store.PasswordSubject{Organisation: a, Member: ana, Lockout: locked, Counted: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("locked member:\n got %+v\nwant %+v", got, want)
	}
	got, err = s.PasswordSubject(ctx, "Alpha Works", "ana@alpha.test", "someone-else")
	if err != nil || got.Member != ana || got.Counted || got.Lockout != (store.Lockout{}) {
		t.Errorf("member without failures: got %+v, %v", got, err)
	}
	got, err = s.PasswordSubject(ctx, "Alpha Works", "bo@beta.test", "eve@alpha.test")
	if err != nil || got.Organisation != a || got.Member != (store.Member{}) || got.Counted {
		t.Errorf("another organisation's member and count: got %+v, %v; want neither", got, err)
	}
	if _, err := s.PasswordSubject(ctx, "Gamma", "ana@alpha.test", "ana@alpha.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown organisation: got %v, want ErrNotFound", err)
	}
}

// testTouchSigninLockout: touching a count changes nothing, in its
// organisation or another, and a missing count is no error.
func testTouchSigninLockout(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	reserve(t, s, a.ID, "ana@alpha.test", rule(now))
	before, _ := s.SigninLockout(ctx, a.ID, "ana@alpha.test")
	for _, org := range []int64{a.ID, b.ID, store.NoOrganisation} {
		if err := s.TouchSigninLockout(ctx, org, "ana@alpha.test"); err != nil {
			t.Fatalf("touch in organisation %d: %v", org, err)
		}
	}
	if after, err := s.SigninLockout(ctx, a.ID, "ana@alpha.test"); err != nil || after != before {
		t.Errorf("after a touch: %+v, %v; want %+v", after, err, before)
	}
	if _, err := s.SigninLockout(ctx, b.ID, "ana@alpha.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a touch in Beta made a count: %v", err)
	}
}
