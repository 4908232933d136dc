package lockout_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"imslogin/internal/lockout"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

func TestPolicyValidate(t *testing.T) {
	for _, tc := range []struct {
		p  lockout.Policy
		ok bool
	}{
		{lockout.DefaultPolicy(), true},
		{lockout.Policy{Threshold: 1, Duration: time.Minute}, true},
		{lockout.Policy{Threshold: 100, Duration: 1440 * time.Minute}, true},
		{lockout.Policy{Threshold: 0, Duration: time.Minute}, false},
		{lockout.Policy{Threshold: 5, Duration: 1441 * time.Minute}, false},
		{lockout.Policy{Threshold: 5, Duration: 90 * time.Second}, false},
	} {
		if err := tc.p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: got %v, want ok=%v", tc.p, err, tc.ok)
		}
	}
}

// TestReserveLocksOnceAndLifts: the third reservation locks, later ones
// are refused without being counted, and the lock lifts on time.
func TestReserveLocksOnceAndLifts(t *testing.T) {
	ctx := context.Background()
	db := sqltest.NewSQLite(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	g := &lockout.Guard{Store: db, Now: func() time.Time { return now }}
	id := lockout.Of(1, "ana@acme.test")
	p := lockout.Policy{Threshold: 3, Duration: 15 * time.Minute}
	var locks, refused int
	for i := 1; i <= 5; i++ {
		r, err := g.Reserve(ctx, id, p)
		var locked *lockout.LockedError
		switch {
		case errors.As(err, &locked):
			refused++
			if !locked.Until.Equal(now.Add(15 * time.Minute)) {
				t.Errorf("attempt %d refused until %v", i, locked.Until)
			}
			continue
		case err != nil:
			t.Fatal(err)
		}
		if r.Failures != i || r.Locks != (i == 3) {
			t.Errorf("attempt %d: %+v, want count %d and locking only at 3", i, r, i)
		}
		if r.Locks {
			locks++
		}
	}
	if locks != 1 || refused != 2 {
		t.Errorf("%d attempts locked and %d were refused, want 1 and 2", locks, refused)
	}
	if until, _ := g.LockedUntil(ctx, id); !until.Equal(now.Add(15 * time.Minute)) {
		t.Errorf("locked until %v", until)
	}
	now = now.Add(15 * time.Minute)
	if until, _ := g.LockedUntil(ctx, id); !until.IsZero() {
		t.Errorf("still locked when the time is up: %v", until)
	}
	// Other organisations and unknown organisation names count apart.
	if until, _ := g.LockedUntil(ctx, lockout.OfUnknownOrganisation("Acme", "ana@acme.test")); !until.IsZero() {
		t.Error("an unknown organisation shares the member's count")
	}
	if lockout.OfUnknownOrganisation(" ACME ", "a@b.c") != lockout.OfUnknownOrganisation("acme", "a@b.c") {
		t.Error("unknown organisation names are not compared ignoring case")
	}
	if id.OrgID == store.NoOrganisation {
		t.Fatal("test identifier uses the unknown-organisation ID")
	}
}

func TestUnlock(t *testing.T) {
	ctx := context.Background()
	db := sqltest.NewSQLite(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	g := &lockout.Guard{Store: db, Now: func() time.Time { return now }}
	id := lockout.Of(1, "ana@acme.test")
	if was, err := g.Unlock(ctx, id); was || err != nil {
		t.Errorf("unlock of nothing: %v, %v", was, err)
	}
	if _, err := g.Reserve(ctx, id, lockout.Policy{Threshold: 1, Duration: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if was, err := g.Unlock(ctx, id); !was || err != nil {
		t.Errorf("unlock of a lock: %v, %v", was, err)
	}
	if until, _ := g.LockedUntil(ctx, id); !until.IsZero() {
		t.Error("still locked after unlock")
	}
}
