package otpcode_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"imslogin/internal/otpcode"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

func TestCodes(t *testing.T) {
	ctx := context.Background()
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	iss := &otpcode.Issuer{Now: func() time.Time { return now }}
	issue := func() (string, error) { return iss.Issue(ctx, db, org.ID, m.ID, "verify-email", m.Email) }
	use := func(code string) error {
		_, err := iss.Use(ctx, db, org.ID, m.ID, "verify-email", code)
		return err
	}

	first, err := issue()
	if err != nil || len(first) != 6 {
		t.Fatalf("issue: %q, %v", first, err)
	}
	var tooSoon *otpcode.TooSoonError
	if _, err := issue(); !errors.As(err, &tooSoon) || tooSoon.Wait != time.Minute {
		t.Fatalf("a resend at once: %v, want to wait 1m", err)
	}
	now = now.Add(40 * time.Second)
	if _, err := issue(); !errors.As(err, &tooSoon) || tooSoon.Wait != 20*time.Second {
		t.Fatalf("a resend after 40s: %v, want to wait 20s", err)
	}
	now = now.Add(20 * time.Second)
	second, err := issue()
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		if err := use(first); !errors.Is(err, otpcode.ErrWrong) {
			t.Errorf("the older code after a resend: %v, want ErrWrong", err)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if err := use(bad); !errors.Is(err, otpcode.ErrMalformed) {
			t.Errorf("%q: %v, want ErrMalformed", bad, err)
		}
	}
	typed := second[:3] + " - " + second[3:]
	c, err := iss.Use(ctx, db, org.ID, m.ID, "verify-email", typed)
	if err != nil || c.Destination != m.Email {
		t.Fatalf("the newest code, typed with a space and dash: %+v, %v", c, err)
	}
	if err := use(second); !errors.Is(err, otpcode.ErrNoCode) {
		t.Errorf("a used code again: %v, want ErrNoCode", err)
	}

	now = now.Add(time.Hour)
	third, _ := issue()
	now = now.Add(otpcode.DefaultTTL)
	if err := use(third); !errors.Is(err, otpcode.ErrExpired) {
		t.Errorf("after 10 minutes: %v, want ErrExpired", err)
	}
	if _, err := iss.Pending(ctx, db, org.ID, m.ID, "verify-email"); !errors.Is(err, otpcode.ErrNoCode) {
		t.Errorf("an expired code is pending: %v", err)
	}
	stored, _ := db.OneTimeCode(ctx, org.ID, m.ID, "verify-email")
	if string(stored.CodeHash) == third || len(stored.CodeHash) != 32 {
		t.Errorf("stored %q: want only a SHA-256", stored.CodeHash)
	}
}
