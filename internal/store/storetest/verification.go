package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"imslogin/internal/store"
)

func newCode(orgID, memberID int64, purpose, code, to string, at time.Time) store.OneTimeCode {
	return store.OneTimeCode{OrgID: orgID, MemberID: memberID, Purpose: purpose, CodeHash: tokenHash(code),
		Destination: to, SentAt: at, ExpiresAt: at.Add(10 * time.Minute)}
}

func testOneTimeCodes(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	first := newCode(o.ID, m.ID, "verify-email", "111111", m.Email, now)
	second := newCode(o.ID, m.ID, "verify-email", "222222", m.Email, now.Add(time.Minute))
	other := newCode(o.ID, m.ID, "change-email", "333333", "ana@new.test", now)
	for _, c := range []store.OneTimeCode{first, other, second} {
		if err := s.PutOneTimeCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.CountOneTimeCodeFailure(ctx, o.ID, m.ID, "verify-email"); n != 1 || err != nil {
		t.Fatalf("count a wrong guess: %d, %v", n, err)
	}
	if err := s.PutOneTimeCode(ctx, second); err != nil {
		t.Fatal(err)
	}
	got, err := s.OneTimeCode(ctx, o.ID, m.ID, "verify-email")
	if got.Attempts != 1 {
		t.Errorf("a resend reset the count of wrong guesses to %d", got.Attempts)
	}
	if err != nil || string(got.CodeHash) != string(second.CodeHash) || !got.SentAt.Equal(second.SentAt) ||
		!got.ExpiresAt.Equal(second.ExpiresAt) || got.Destination != m.Email {
		t.Fatalf("after a resend: %+v, %v; want only the newest code", got, err)
	}
	if err := s.DeleteOneTimeCode(ctx, o.ID, m.ID, "verify-email", first.CodeHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("using the replaced code: %v, want ErrNotFound", err)
	}
	if err := s.DeleteOneTimeCode(ctx, o.ID, m.ID, "verify-email", second.CodeHash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOneTimeCode(ctx, o.ID, m.ID, "verify-email", second.CodeHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("using a code twice: %v, want ErrNotFound", err)
	}
	if got, err := s.OneTimeCode(ctx, o.ID, m.ID, "change-email"); err != nil || got.Destination != "ana@new.test" {
		t.Errorf("a code of another purpose: %+v, %v", got, err)
	}
}

// testOneTimeCodeConcurrentUse: of many requests using one code, one wins.
func testOneTimeCodeConcurrentUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	c := newCode(o.ID, m.ID, "verify-email", "123456", m.Email, now)
	if err := s.PutOneTimeCode(ctx, c); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.InTx(ctx, func(ctx context.Context) error {
				return s.DeleteOneTimeCode(ctx, o.ID, m.ID, c.Purpose, c.CodeHash)
			})
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d uses of one code succeeded, want 1", wins.Load())
	}
}

func testEmailVerification(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	if !o.Settings.RequireVerifiedEmail {
		t.Error("a new organisation must require verified emails")
	}
	ana := NewMember(t, s, o.ID, "ana@acme.test")
	bo := NewMember(t, s, o.ID, "bo@acme.test")
	if err := s.MarkEmailVerified(ctx, o.ID, ana.ID, "old@acme.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("verifying an address the member no longer has: %v, want ErrNotFound", err)
	}
	if err := s.MarkEmailVerified(ctx, o.ID, ana.ID, ana.Email); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.MemberByID(ctx, o.ID, ana.ID); !got.EmailVerified {
		t.Error("email not marked verified")
	}
	if err := s.ChangeMemberEmail(ctx, o.ID, bo.ID, ana.Email); !errors.Is(err, store.ErrConflict) {
		t.Errorf("taking another member's address: %v, want ErrConflict", err)
	}
	if got, _ := s.MemberByID(ctx, o.ID, bo.ID); got.Email != bo.Email || got.EmailVerified {
		t.Errorf("a refused change changed the member: %+v", got)
	}
	if err := s.ChangeMemberEmail(ctx, o.ID, bo.ID, "bo@new.test"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.MemberByEmail(ctx, o.ID, "bo@new.test"); err != nil || got.ID != bo.ID || !got.EmailVerified {
		t.Errorf("by the new address: %+v, %v", got, err)
	}
	if _, err := s.MemberByEmail(ctx, o.ID, bo.Email); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("by the old address: %v, want ErrNotFound", err)
	}
	o.Settings.RequireVerifiedEmail = false
	if err := s.UpdateOrganisation(ctx, o); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OrganisationByID(ctx, o.ID); got.Settings.RequireVerifiedEmail {
		t.Error("the setting was not saved")
	}
}

func testVerificationIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Acme"), NewOrganisation(t, s, "Globex")
	ana := NewMember(t, s, a.ID, "ana@acme.test")
	NewMember(t, s, b.ID, "bo@globex.test")
	c := newCode(a.ID, ana.ID, "verify-email", "123456", ana.Email, now)
	if err := s.PutOneTimeCode(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OneTimeCode(ctx, b.ID, ana.ID, c.Purpose); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a code read under another organisation: %v", err)
	}
	if _, err := s.CountOneTimeCodeFailure(ctx, b.ID, ana.ID, c.Purpose); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a guess counted under another organisation: %v", err)
	}
	if err := s.DeleteOneTimeCode(ctx, b.ID, ana.ID, c.Purpose, c.CodeHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a code used under another organisation: %v", err)
	}
	if err := s.MarkEmailVerified(ctx, b.ID, ana.ID, ana.Email); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("verified under another organisation: %v", err)
	}
	if err := s.ChangeMemberEmail(ctx, b.ID, ana.ID, "x@globex.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("address changed under another organisation: %v", err)
	}
	got, _ := s.MemberByID(ctx, a.ID, ana.ID)
	if got.Email != ana.Email || got.EmailVerified {
		t.Errorf("another organisation changed the member: %+v", got)
	}
	if got, err := s.OneTimeCode(ctx, a.ID, ana.ID, c.Purpose); err != nil || got.Attempts != 0 {
		t.Errorf("the code is gone or counted: %+v, %v", got, err)
	}
}
