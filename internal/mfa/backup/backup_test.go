package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/mfa/backup"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// TestCodesAreKeyedWithTheServersSecret: backup codes are stored as an
// HMAC under the server's key, so neither a copy of the database nor
// another server's key checks one; each works once, typed loosely; codes
// stored before as plain SHA-256 still work, once.
func TestCodesAreKeyedWithTheServersSecret(t *testing.T) {
	ctx := context.Background()
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	method := &backup.Method{Store: db, Key: []byte("the server's key")}
	codes, err := method.Generate(ctx, db, org.ID, m.ID, now)
	if err != nil || len(codes) != backup.Count {
		t.Fatalf("Generate: %d codes, %v", len(codes), err)
	}
	subject := func() mfa.Subject {
		s, err := mfa.Load(ctx, db, org, m, now)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	verify := func(meth *backup.Method, code string) error {
		return meth.Verify(ctx, subject(), url.Values{"code": {code}})
	}
	for _, f := range subject().FactorsOf(backup.Name) {
		for _, c := range codes {
			plain := sha256.Sum256([]byte(strings.ReplaceAll(c, "-", "")))
			if bytes.Equal(f.Secret, plain[:]) || bytes.Contains(f.Secret, []byte(strings.ReplaceAll(c, "-", ""))) {
				t.Fatal("a stored backup code is computable without the server's key")
			}
		}
	}
	other := &backup.Method{Store: db, Key: []byte("another server's key")}
	if err := verify(other, codes[0]); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("checked with another key: %v, want a wrong code", err)
	}
	if err := verify(&backup.Method{Store: db}, codes[0]); err == nil || errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("checked with no key: %v, want a refusal that is not a wrong code", err)
	}
	if err := verify(method, " "+strings.ToUpper(codes[0])+" "); err != nil {
		t.Errorf("the right code, typed loosely: %v", err)
	}
	if err := verify(method, codes[0]); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("a used code: %v, want a wrong code", err)
	}

	old := "abcde-fghij"
	plain := sha256.Sum256([]byte("abcdefghij"))
	if err := db.CreateMFAFactor(ctx, &store.MFAFactor{OrgID: org.ID, MemberID: m.ID, Method: backup.Name,
		Secret: plain[:], CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := verify(method, old); err != nil {
		t.Errorf("a code stored as plain SHA-256 before: %v, want it to work", err)
	}
	if err := verify(method, old); !errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("a code stored as plain SHA-256, used: %v, want a wrong code", err)
	}
	if got := backup.Remaining(subject().Factors); got != backup.Count-1 {
		t.Errorf("%d codes left, want %d", got, backup.Count-1)
	}
}
