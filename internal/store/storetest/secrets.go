package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"imslogin/internal/store"
)

// testSecretsAtRest: the start-up pass finds, across organisations, the
// authenticator apps whose secret lacks a prefix, pages through them by ID,
// and replaces a secret only while it is the one it read.
func testSecretsAtRest(t *testing.T, s store.Store) {
	ctx := context.Background()
	mark := []byte{0x01}
	acme, globex := NewOrganisation(t, s, "Acme"), NewOrganisation(t, s, "Globex")
	ana, bo := NewMember(t, s, acme.ID, "ana@acme.test"), NewMember(t, s, globex.ID, "bo@globex.test")
	plainAna := newFactor(t, s, ana, "totp", "Phone")
	plainBo := newFactor(t, s, bo, "totp", "Tablet")
	sealed := store.MFAFactor{OrgID: acme.ID, MemberID: ana.ID, Method: "totp", Name: "Sealed", Secret: []byte{0x01, 0xff, 0x00}, CreatedAt: now}
	if err := s.CreateMFAFactor(ctx, &sealed); err != nil {
		t.Fatal(err)
	}
	newFactor(t, s, ana, "backup", "") // another method is never listed
	if n, err := s.CountMFASecrets(ctx, "totp", mark); err != nil || n != 1 {
		t.Errorf("sealed apps: %d, %v; want 1", n, err)
	}
	if list, err := s.MFAFactorsStartingWith(ctx, "totp", mark, 0, 10); err != nil || len(list) != 1 || list[0].ID != sealed.ID ||
		string(list[0].Secret) != string(sealed.Secret) {
		t.Errorf("sealed apps listed: %+v, %v; want the one", list, err)
	}
	first, err := s.MFAFactorsNotStartingWith(ctx, "totp", mark, 0, 1)
	if err != nil || len(first) != 1 || first[0].ID != plainAna.ID || string(first[0].Secret) != string(plainAna.Secret) ||
		first[0].OrgID != acme.ID {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	rest, err := s.MFAFactorsNotStartingWith(ctx, "totp", mark, first[0].ID, 10)
	if err != nil || len(rest) != 1 || rest[0].ID != plainBo.ID || rest[0].OrgID != globex.ID {
		t.Fatalf("next page: %+v, %v", rest, err)
	}
	// Replacing is conditional on the old secret, and scoped by organisation.
	if err := s.ReplaceMFASecret(ctx, globex.ID, plainAna.ID, plainAna.Secret, []byte{0x01, 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's factor: %v", err)
	}
	if err := s.ReplaceMFASecret(ctx, acme.ID, plainAna.ID, []byte("changed meanwhile"), []byte{0x01, 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a secret changed since it was read: %v", err)
	}
	if err := s.ReplaceMFASecret(ctx, acme.ID, plainAna.ID, plainAna.Secret, []byte{0x01, 1}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountMFASecrets(ctx, "totp", mark); n != 2 {
		t.Errorf("sealed apps after a replace: %d, want 2", n)
	}
	if left, _ := s.MFAFactorsNotStartingWith(ctx, "totp", mark, 0, 10); len(left) != 1 || left[0].ID != plainBo.ID {
		t.Errorf("left to seal: %+v", left)
	}
	list, _ := s.MemberMFAFactors(ctx, acme.ID, ana.ID)
	if string(list[0].Secret) != "\x01\x01" || list[0].Counter != plainAna.Counter || list[0].Name != plainAna.Name {
		t.Errorf("after the replace: %+v", list[0])
	}
	testDestinationsAtRest(t, s, ana, bo)
}

func testDestinationsAtRest(t *testing.T, s store.Store, ana, bo store.Member) {
	ctx := context.Background()
	for _, c := range []store.OneTimeCode{
		newCode(ana.OrgID, ana.ID, "app-setup", "pending", "otpauth://totp/A?secret=AAAA", now),
		newCode(bo.OrgID, bo.ID, "app-setup", "pending", "otpauth://totp/B?secret=BBBB", now),
		newCode(ana.OrgID, ana.ID, "verify-email", "111111", ana.Email, now),
	} {
		if err := s.PutOneTimeCode(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.OneTimeCodesByDestinationPrefix(ctx, "otpauth:")
	if err != nil || len(list) != 2 || list[0].MemberID != ana.ID || list[1].MemberID != bo.ID ||
		list[0].Destination != "otpauth://totp/A?secret=AAAA" || list[0].Purpose != "app-setup" ||
		!list[0].ExpiresAt.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("otpauth codes: %+v, %v", list, err)
	}
	if err := s.ReplaceOneTimeCodeDestination(ctx, ana.OrgID, ana.ID, "app-setup", "otpauth://other", "sealed:x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a destination changed since it was read: %v", err)
	}
	if err := s.ReplaceOneTimeCodeDestination(ctx, ana.OrgID, ana.ID, "app-setup", list[0].Destination, "sealed:x"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OneTimeCode(ctx, ana.OrgID, ana.ID, "app-setup"); got.Destination != "sealed:x" || string(got.CodeHash) != string(tokenHash("pending")) {
		t.Errorf("after the replace: %+v", got)
	}
	if left, _ := s.OneTimeCodesByDestinationPrefix(ctx, "otpauth:"); len(left) != 1 || left[0].MemberID != bo.ID {
		t.Errorf("left to seal: %+v", left)
	}
}
