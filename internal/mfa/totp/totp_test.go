package totp_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/secretbox"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// oathtool is an independent RFC 6238 implementation (Debian package
// oathtool); CI installs it, so there it must be present.
func oathtool(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("oathtool is not installed (apt-get install oathtool)")
		}
		t.Skip("oathtool is not installed")
	}
	out, err := exec.Command(path, "--totp", "--base32", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// newSecrets seals with a new random key.
func newSecrets(t *testing.T) *totp.Secrets {
	t.Helper()
	box, err := secretbox.CreateKey(filepath.Join(t.TempDir(), "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	return totp.NewSecrets(box)
}

func setup(t *testing.T) (*totp.Method, mfa.Subject, string) {
	t.Helper()
	secrets := newSecrets(t)
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	e, err := totp.NewEnrolment(org.Name, m.Email)
	if err != nil {
		t.Fatal(err)
	}
	enrolled := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	if err := secrets.Confirm(context.Background(), db, org.ID, m.ID, "Phone", e.Secret, oathtool(t, e.Secret, enrolled), enrolled); err != nil {
		t.Fatalf("confirm with oathtool's code: %v", err)
	}
	factors, _ := db.MemberMFAFactors(context.Background(), org.ID, m.ID)
	return &totp.Method{Store: db, Secrets: secrets}, mfa.Subject{Organisation: org, Member: m, Factors: factors}, e.Secret
}

func verify(m *totp.Method, s mfa.Subject, now time.Time, code string) error {
	s.Now = now
	return m.Verify(context.Background(), s, url.Values{"code": {code}})
}

func TestCodesFromOathtoolAreAcceptedOnce(t *testing.T) {
	m, s, secret := setup(t)
	now := time.Date(2026, 11, 21, 10, 0, 5, 0, time.UTC)
	code := oathtool(t, secret, now)
	if err := verify(m, s, now, code); err != nil {
		t.Fatalf("oathtool's current code refused: %v", err)
	}
	if err := verify(m, s, now.Add(10*time.Second), code); err != mfa.ErrWrongCode {
		t.Errorf("the same code again: got %v, want ErrWrongCode (replay)", err)
	}
	// A code of the step before the one used is refused too: counters only grow.
	if err := verify(m, s, now, oathtool(t, secret, now.Add(-30*time.Second))); err != mfa.ErrWrongCode {
		t.Errorf("an older code after a newer one: got %v, want ErrWrongCode", err)
	}
	if err := verify(m, s, now.Add(30*time.Second), oathtool(t, secret, now.Add(30*time.Second))); err != nil {
		t.Errorf("the next step's code: %v", err)
	}
}

func TestSkewOfOneStepEachWay(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 15, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		offset time.Duration // of the app's clock from the server's
		ok     bool
	}{
		{"app 30 s behind", -30 * time.Second, true},
		{"app 30 s ahead", 30 * time.Second, true},
		{"app 60 s behind", -60 * time.Second, false},
		{"app 60 s ahead", 60 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, s, secret := setup(t)
			err := verify(m, s, now, oathtool(t, secret, now.Add(tc.offset)))
			if (err == nil) != tc.ok {
				t.Errorf("got %v, want accepted=%v", err, tc.ok)
			}
		})
	}
}

func TestWrongAndMalformedCodes(t *testing.T) {
	m, s, secret := setup(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	right := oathtool(t, secret, now)
	wrong := []byte(right)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	for _, code := range []string{string(wrong), "", "12345", "1234567", "abcdef"} {
		if err := verify(m, s, now, code); err != mfa.ErrWrongCode {
			t.Errorf("code %q: got %v, want ErrWrongCode", code, err)
		}
	}
}

func TestEnrolmentNeedsTheRightCodeAndItsCodeCannotSignIn(t *testing.T) {
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "ana@acme.test")
	e, _ := totp.NewEnrolment(org.Name, m.Email)
	if !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.Contains(e.URL, "secret="+e.Secret) {
		t.Errorf("enrolment URL %q", e.URL)
	}
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()
	secrets := newSecrets(t)
	if err := secrets.Confirm(ctx, db, org.ID, m.ID, "", e.Secret, "000000", now); err != mfa.ErrWrongCode {
		t.Errorf("confirm with a wrong code: %v", err)
	}
	if list, _ := db.MemberMFAFactors(ctx, org.ID, m.ID); len(list) != 0 {
		t.Fatal("a wrong code stored the app")
	}
	code := oathtool(t, e.Secret, now)
	if err := secrets.Confirm(ctx, db, org.ID, m.ID, "", e.Secret, code, now); err != nil {
		t.Fatal(err)
	}
	factors, _ := db.MemberMFAFactors(ctx, org.ID, m.ID)
	s := mfa.Subject{Organisation: org, Member: m, Factors: factors, Now: now}
	if err := (&totp.Method{Store: db, Secrets: secrets}).Verify(ctx, s, url.Values{"code": {code}}); err != mfa.ErrWrongCode {
		t.Errorf("the enrolment code signed in: %v", err)
	}
	png, err := totp.QRCode(e.URL)
	if err != nil || len(png) < 100 || string(png[1:4]) != "PNG" {
		t.Errorf("QR code: %d bytes, %v", len(png), err)
	}
}

// TestSealedSecretsOpenOnlyWithTheirKeyAndOrganisation: a stored app's
// secret is sealed; another key, or the sealed value copied to another
// organisation, does not open it, and that is an error, not a wrong code
// (the member did nothing wrong).
func TestSealedSecretsOpenOnlyWithTheirKeyAndOrganisation(t *testing.T) {
	m, s, secret := setup(t)
	stored := s.Factors[0].Secret
	if !secretbox.IsSealed(stored) || strings.Contains(string(stored), secret) {
		t.Fatalf("stored secret %q", stored)
	}
	if got, err := m.Secrets.Open(s.Organisation.ID, s.Member.ID, stored); err != nil || got != secret {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := m.Secrets.Open(s.Organisation.ID+1, s.Member.ID, stored); err == nil {
		t.Error("opened for another organisation")
	}
	if _, err := m.Secrets.Open(s.Organisation.ID, s.Member.ID+1, stored); err == nil {
		t.Error("opened for another member of the organisation")
	}
	now := time.Date(2026, 11, 21, 10, 0, 5, 0, time.UTC)
	otherKey := &totp.Method{Store: m.Store, Secrets: newSecrets(t)}
	if err := verify(otherKey, s, now, oathtool(t, secret, now)); err == nil || errors.Is(err, mfa.ErrWrongCode) {
		t.Errorf("another key: %v, want an error that is not a wrong code", err)
	}
	if otherKey.Usable(s) || !m.Usable(s) {
		t.Errorf("offered with another key: %v, with its own: %v; want the app offered only where it opens",
			otherKey.Usable(s), m.Usable(s))
	}
	if err := verify(m, s, now, oathtool(t, secret, now)); err != nil {
		t.Errorf("the right key: %v", err)
	}
}

// TestPendingSetUpIsSealedForItsMember: the otpauth:// URL of an app being
// set up is stored sealed, as text, and opens only for its member.
func TestPendingSetUpIsSealedForItsMember(t *testing.T) {
	secrets := newSecrets(t)
	e, _ := totp.NewEnrolment("Acme", "ana@acme.test")
	stored := secrets.SealPending(1, 2, e.URL)
	if !strings.HasPrefix(stored, "sealed:") || strings.Contains(stored, e.Secret) {
		t.Fatalf("stored %q", stored)
	}
	if got, err := secrets.OpenPending(1, 2, stored); err != nil || got != e.URL {
		t.Errorf("open: %q, %v", got, err)
	}
	for _, bad := range []struct{ org, member int64 }{{1, 3}, {2, 2}} {
		if _, err := secrets.OpenPending(bad.org, bad.member, stored); err == nil {
			t.Errorf("opened for %+v", bad)
		}
	}
	if _, err := secrets.OpenPending(1, 2, "sealed:!!"); !errors.Is(err, secretbox.ErrUnknownFormat) {
		t.Errorf("mangled: %v", err)
	}
}

// An app's secret is sealed bound to its member: copied to another member's
// row it does not open. A secret sealed in the older form, bound to the
// organisation only, still opens, and its member's first code seals it
// again bound to them.
func TestSecretsAreBoundToTheirMember(t *testing.T) {
	ctx := context.Background()
	secrets := newSecrets(t)
	db := sqltest.NewSQLite(t)
	org := storetest.NewOrganisation(t, db, "Acme")
	ana, bo := storetest.NewMember(t, db, org.ID, "ana@acme.test"), storetest.NewMember(t, db, org.ID, "bo@acme.test")
	e, err := totp.NewEnrolment(org.Name, ana.Email)
	if err != nil {
		t.Fatal(err)
	}
	sealed := secrets.Seal(org.ID, ana.ID, e.Secret)
	if _, err := secrets.Open(org.ID, bo.ID, sealed); err == nil {
		t.Error("Ana's sealed secret opened as Bo's")
	}
	old := &store.MFAFactor{OrgID: org.ID, MemberID: ana.ID, Method: totp.Name, Name: "Phone",
		Secret: secrets.SealShared(org.ID, e.Secret), CreatedAt: time.Now()}
	if err := db.CreateMFAFactor(ctx, old); err != nil {
		t.Fatal(err)
	}
	m := &totp.Method{Store: db, Secrets: secrets}
	factors, _ := db.MemberMFAFactors(ctx, org.ID, ana.ID)
	s := mfa.Subject{Organisation: org, Member: ana, Factors: factors}
	now := time.Date(2026, 11, 21, 10, 0, 5, 0, time.UTC)
	if err := verify(m, s, now, oathtool(t, e.Secret, now)); err != nil {
		t.Fatalf("a code of a secret sealed in the older form: %v", err)
	}
	factors, _ = db.MemberMFAFactors(ctx, org.ID, ana.ID)
	if bytes.Equal(factors[0].Secret, old.Secret) {
		t.Fatal("the secret was not sealed again after its member's code")
	}
	if got, err := secrets.Open(org.ID, ana.ID, factors[0].Secret); err != nil || got != e.Secret {
		t.Errorf("the resealed secret: %q, %v", got, err)
	}
	if _, err := secrets.Open(org.ID, bo.ID, factors[0].Secret); err == nil {
		t.Error("the resealed secret opens as another member's")
	}
}
