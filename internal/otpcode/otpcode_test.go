package otpcode_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
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
	iss := &otpcode.Issuer{Key: []byte("test key of the server"), Now: func() time.Time { return now }}
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

// A stored code is an HMAC under the server's key: the six digits cannot
// be found from the database alone by hashing the million candidates, a
// server with another key cannot check it, and no key means no code.
func TestStoredCodesAreKeyedWithTheServersSecret(t *testing.T) {
	ctx := context.Background()
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	iss := &otpcode.Issuer{Key: []byte("the server's key"), Now: clock}
	code, err := iss.Issue(ctx, db, org.ID, m.ID, "verify-email", m.Email)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := db.OneTimeCode(ctx, org.ID, m.ID, "verify-email")
	unkeyed := sha256.Sum256([]byte(strconv.FormatInt(m.ID, 10) + "\x00verify-email\x00" + code))
	if bytes.Equal(stored.CodeHash, unkeyed[:]) || bytes.Contains(stored.CodeHash, []byte(code)) {
		t.Fatal("the stored hash is computable without the server's key")
	}
	other := &otpcode.Issuer{Key: []byte("another server's key"), Now: clock}
	if _, err := other.Use(ctx, db, org.ID, m.ID, "verify-email", code); !errors.Is(err, otpcode.ErrWrong) {
		t.Errorf("checked with another key: %v, want ErrWrong", err)
	}
	if _, err := (&otpcode.Issuer{Now: clock}).Use(ctx, db, org.ID, m.ID, "verify-email", code); err == nil ||
		errors.Is(err, otpcode.ErrWrong) {
		t.Errorf("checked with no key: %v, want a refusal that is not a wrong code", err)
	}
	if _, err := iss.Use(ctx, db, org.ID, m.ID, "verify-email", code); err != nil {
		t.Errorf("checked with the key: %v", err)
	}
}

// TestBoundCodesWorkOnlyForTheirSignIn: a code issued for one sign-in is
// wrong for another of the same member and outside any sign-in, Mine tells
// whose a live code is, and the wait between codes is the member's, not
// the sign-in's.
func TestBoundCodesWorkOnlyForTheirSignIn(t *testing.T) {
	ctx := context.Background()
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	iss := &otpcode.Issuer{Key: []byte("the server's key"), Now: func() time.Time { return now }}
	first, second := iss.Bound([]byte("first sign-in")), iss.Bound([]byte("second sign-in"))
	code, err := first.Issue(ctx, db, org.ID, m.ID, "mfa-email", m.Email)
	if err != nil {
		t.Fatal(err)
	}
	var tooSoon *otpcode.TooSoonError
	if _, err := second.Issue(ctx, db, org.ID, m.ID, "mfa-email", m.Email); !errors.As(err, &tooSoon) {
		t.Errorf("another sign-in's code at once: %v, want TooSoonError", err)
	}
	live, _ := db.OneTimeCode(ctx, org.ID, m.ID, "mfa-email")
	if !first.Mine(live) || second.Mine(live) || iss.Mine(live) {
		t.Errorf("Mine: first %v, second %v, unbound %v; want only the first", first.Mine(live), second.Mine(live), iss.Mine(live))
	}
	for name, other := range map[string]*otpcode.Issuer{"another sign-in": second, "no sign-in": iss} {
		if _, err := other.Use(ctx, db, org.ID, m.ID, "mfa-email", code); !errors.Is(err, otpcode.ErrWrong) {
			t.Errorf("checked for %s: %v, want ErrWrong", name, err)
		}
	}
	if _, err := first.Use(ctx, db, org.ID, m.ID, "mfa-email", code); err != nil {
		t.Errorf("checked for its own sign-in: %v", err)
	}
}
