// Package storetest is the conformance suite every store backend must pass,
// including isolation between organisations and concurrent writers.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"imslogin/internal/store"
)

// RunTests runs the suite; newStore returns an empty, migrated store.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Organisations", testOrganisations},
		{"URLNames", testURLNames},
		{"URLNameChange", testURLNameChange},
		{"URLNamesConcurrent", testURLNamesConcurrent},
		{"Members", testMembers},
		{"OrganisationIsolation", testIsolation},
		{"Sessions", testSessions},
		{"SigninFlows", testSigninFlows},
		{"FlowAttemptsConcurrent", testFlowAttemptsConcurrent},
		{"TransactionRollsBack", testTransactionRollsBack},
		{"ConcurrentWriters", testConcurrentWriters},
		{"LockoutSettings", testLockoutSettings},
		{"Lockouts", testLockouts},
		{"LockoutsConcurrent", testLockoutsConcurrent},
		{"LockoutRelease", testLockoutRelease},
		{"LockoutIsolation", testLockoutIsolation},
		{"TouchSigninLockout", testTouchSigninLockout},
		{"PasswordSubject", testPasswordSubject},
		{"AuditLog", testAuditLog},
		{"AuditIsolation", testAuditIsolation},
		{"AuditInTransaction", testAuditInTransaction},
		{"MemberSessions", testMemberSessions},
		{"SessionIsolation", testSessionIsolation},
		{"Outbox", testOutbox},
		{"OutboxRetention", testOutboxRetention},
		{"OutboxClaimsAreExclusive", testOutboxClaimsAreExclusive},
		{"OutboxIsolation", testOutboxIsolation},
		{"LinkTokens", testLinkTokens},
		{"EndMemberLinkTokens", testEndMemberLinkTokens},
		{"LinkTokenConcurrentRedemption", testLinkTokenConcurrentRedemption},
		{"LinkTokenIsolation", testLinkTokenIsolation},
		{"AcceptInvitation", testAcceptInvitation},
		{"OrganisationUpdate", testOrganisationUpdate},
		{"MemberListing", testMemberListing},
		{"MemberCounts", testMemberCounts},
		{"MemberSearch", testMemberSearch},
		{"MemberSearchFollowsChanges", testMemberSearchFollowsChanges},
		{"MemberAccessAndRoles", testMemberAccessAndRoles},
		{"ProfileAndPicture", testProfileAndPicture},
		{"APITokens", testAPITokens},
		{"AdministrationIsolation", testAdministrationIsolation},
		{"AuditDailyCounts", testAuditDailyCounts},
		{"OneTimeCodes", testOneTimeCodes},
		{"OneTimeCodeConcurrentUse", testOneTimeCodeConcurrentUse},
		{"EmailVerification", testEmailVerification},
		{"VerificationIsolation", testVerificationIsolation},
		{"MFAPolicy", testMFAPolicy},
		{"MFAFactors", testMFAFactors},
		{"MFAFactorReplayRace", testMFAFactorReplayRace},
		{"LastMFAMethod", testLastMFAMethod},
		{"TrustedDevices", testTrustedDevices},
		{"MFAIsolation", testMFAIsolation},
		{"SMSOutbox", testSMSOutbox},
		{"SessionAMR", testSessionAMR},
		{"SecretsAtRest", testSecretsAtRest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

var now = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// NewOrganisation creates an organisation with default settings.
func NewOrganisation(t testing.TB, s store.Store, name string) store.Organisation {
	t.Helper()
	o := store.Organisation{Name: name, Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
	if err := s.CreateOrganisation(context.Background(), &o); err != nil {
		t.Fatalf("create organisation %q: %v", name, err)
	}
	return o
}

// NewMember creates an active, licensed member.
func NewMember(t testing.TB, s store.Store, orgID int64, email string) store.Member {
	t.Helper()
	return newMemberIn(context.Background(), t, s, orgID, email)
}

// newMemberIn is NewMember with the context's transaction, if any.
func newMemberIn(ctx context.Context, t testing.TB, s store.Store, orgID int64, email string) store.Member {
	t.Helper()
	m := store.Member{OrgID: orgID, Email: email, Name: "Member " + email, Role: store.RoleMember,
		Status: store.StatusActive, Licensed: true, PasswordHash: "$argon2id$hash-of-" + email, CreatedAt: now}
	if err := s.CreateMember(ctx, &m); err != nil {
		t.Fatalf("create member %q: %v", email, err)
	}
	return m
}

func tokenHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func testOrganisations(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme Ltd")
	if o.ID == 0 {
		t.Fatal("created organisation has no ID")
	}
	got, err := s.OrganisationByName(ctx, "  aCME ltd ")
	if err != nil {
		t.Fatalf("by name, other case: %v", err)
	}
	if got.ID != o.ID || got.Name != "Acme Ltd" || got.Settings != o.Settings || !got.CreatedAt.Equal(now) {
		t.Errorf("by name: got %+v, want %+v", got, o)
	}
	dup := store.Organisation{Name: "ACME LTD", Settings: store.DefaultOrganisationSettings(), CreatedAt: now}
	if err := s.CreateOrganisation(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate name in other case: got %v, want ErrConflict", err)
	}
	if _, err := s.OrganisationByName(ctx, "Nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown name: got %v, want ErrNotFound", err)
	}
	if got, err := s.OrganisationByID(ctx, o.ID); err != nil || got.Name != o.Name {
		t.Errorf("by ID: got %+v, %v", got, err)
	}
}

func testMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := store.Member{OrgID: o.ID, Email: "ana@acme.test", Name: "Ana", Role: store.RoleOwner, Status: store.StatusActive,
		Licensed: true, DataAccess: true, EmailVerified: true, PasswordHash: "$argon2id$x", CreatedAt: now}
	if err := s.CreateMember(ctx, &m); err != nil {
		t.Fatal(err)
	}
	got, err := s.MemberByEmail(ctx, o.ID, "ana@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if got != m {
		t.Errorf("by email: got %+v, want %+v", got, m)
	}
	dup := m
	if err := s.CreateMember(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate email: got %v, want ErrConflict", err)
	}
	if err := s.SetPasswordHash(ctx, o.ID, m.ID, "$argon2id$new"); err != nil {
		t.Fatal(err)
	}
	signedIn := now.Add(time.Hour)
	if err := s.RecordSignIn(ctx, o.ID, m.ID, signedIn); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSignIn(ctx, o.ID, m.ID, signedIn.Add(-time.Minute)); err != nil {
		t.Errorf("an earlier sign-in recorded late: %v", err) // it must not move the last sign-in back (checked below)
	}
	if err := s.SetMemberStatus(ctx, o.ID, m.ID, store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	got, _ = s.MemberByID(ctx, o.ID, m.ID)
	if got.PasswordHash != "$argon2id$new" || !got.LastSignInAt.Equal(signedIn) || got.Status != store.StatusDisabled {
		t.Errorf("after updates: hash %q, last sign-in %v, status %s", got.PasswordHash, got.LastSignInAt, got.Status)
	}
	if _, err := s.MemberByEmail(ctx, o.ID, "nobody@acme.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown email: got %v, want ErrNotFound", err)
	}
}

// testIsolation proves one organisation cannot read or change another's data,
// even when it knows the other's IDs.
func testIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := NewOrganisation(t, s, "Alpha"), NewOrganisation(t, s, "Beta")
	ma := NewMember(t, s, a.ID, "same@example.test")
	mb := NewMember(t, s, b.ID, "same@example.test") // the same email is allowed in another organisation
	if ma.ID == mb.ID {
		t.Fatal("two organisations share a member row")
	}
	if _, err := s.MemberByID(ctx, b.ID, ma.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("read other organisation's member by ID: got %v, want ErrNotFound", err)
	}
	if got, _ := s.MemberByEmail(ctx, b.ID, "same@example.test"); got.ID != mb.ID {
		t.Errorf("by email in Beta returned member %d, want %d", got.ID, mb.ID)
	}
	if err := s.SetPasswordHash(ctx, b.ID, ma.ID, "stolen"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("change other organisation's password: got %v, want ErrNotFound", err)
	}
	if err := s.SetMemberStatus(ctx, b.ID, ma.ID, store.StatusDisabled); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("disable other organisation's member: got %v, want ErrNotFound", err)
	}
	if err := s.RecordSignIn(ctx, b.ID, ma.ID, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record sign-in across organisations: got %v, want ErrNotFound", err)
	}
	sess := store.Session{TokenHash: tokenHash("a"), OrgID: a.ID, MemberID: ma.ID, CreatedAt: now, LastSeenAt: now,
		AuthTime: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, &sess); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, b.ID, sess.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete other organisation's session: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteMemberSessions(ctx, b.ID, ma.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignedInByTokenHash(ctx, tokenHash("a")); err != nil {
		t.Errorf("session gone after another organisation's delete: %v", err)
	}
	if got, _ := s.MemberByID(ctx, a.ID, ma.ID); got.PasswordHash != ma.PasswordHash {
		t.Errorf("password changed across organisations: %q", got.PasswordHash)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	sess := store.Session{TokenHash: tokenHash("t1"), OrgID: o.ID, MemberID: m.ID, Persistent: true, CreatedAt: now,
		LastSeenAt: now, AuthTime: now, ExpiresAt: now.Add(24 * time.Hour), UserAgent: "Firefox", Address: "192.0.2.1"}
	if err := s.CreateSession(ctx, &sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.SignedInByTokenHash(ctx, tokenHash("t1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Member.PasswordHash != "" {
		t.Errorf("a session lookup carries the password hash %q", got.Member.PasswordHash)
	}
	withoutHash := m
	withoutHash.PasswordHash = ""
	if fmt.Sprint(got.Session) != fmt.Sprint(sess) || got.Member != withoutHash || got.Organisation.Name != "Acme" ||
		got.Organisation.Settings != o.Settings {
		t.Errorf("signed in:\n got %+v\nwant session %+v, member %+v", got, sess, m)
	}
	checked, err := s.SessionCheckByTokenHash(ctx, tokenHash("t1"))
	wantSession := sess
	wantSession.UserAgent, wantSession.Address = "", ""
	wantMember := store.Member{ID: m.ID, OrgID: o.ID, Email: m.Email, Name: m.Name, Role: m.Role, Status: m.Status, Licensed: m.Licensed}
	limits := store.OrganisationSettings{SessionIdleTimeout: o.Settings.SessionIdleTimeout,
		SessionAbsoluteTimeout: o.Settings.SessionAbsoluteTimeout, RememberMeIdleTimeout: o.Settings.RememberMeIdleTimeout,
		RememberMeDuration: o.Settings.RememberMeDuration}
	if err != nil || fmt.Sprint(checked.Session) != fmt.Sprint(wantSession) || checked.Member != wantMember ||
		checked.Organisation.ID != o.ID || checked.Organisation.Name != "Acme" || checked.Organisation.Settings != limits {
		t.Errorf("session check: %v\n got %+v\nwant session %+v, member %+v, limits %+v", err, checked, wantSession, wantMember, limits)
	}
	later := now.Add(5 * time.Minute)
	if err := s.TouchSession(ctx, sess.ID, later); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, sess.ID, now); err != nil { // never moves back
		t.Fatal(err)
	}
	got, _ = s.SignedInByTokenHash(ctx, tokenHash("t1"))
	if !got.Session.LastSeenAt.Equal(later) {
		t.Errorf("last seen %v, want %v", got.Session.LastSeenAt, later)
	}
	second := store.Session{TokenHash: tokenHash("t2"), OrgID: o.ID, MemberID: m.ID, CreatedAt: now, LastSeenAt: now,
		AuthTime: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, &second); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, o.ID, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignedInByTokenHash(ctx, tokenHash("t1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: got %v, want ErrNotFound", err)
	}
	if _, err := s.SessionCheckByTokenHash(ctx, tokenHash("t1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session, checked: got %v, want ErrNotFound", err)
	}
	if err := s.DeleteMemberSessions(ctx, o.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignedInByTokenHash(ctx, tokenHash("t2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after deleting all: got %v, want ErrNotFound", err)
	}
	dup := store.Session{TokenHash: tokenHash("t3"), OrgID: o.ID, MemberID: m.ID, CreatedAt: now, ExpiresAt: now}
	s.CreateSession(ctx, &dup)
	if err := s.CreateSession(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate token: got %v, want ErrConflict", err)
	}
}

func testSigninFlows(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	f := store.SigninFlow{TokenHash: tokenHash("flow"), OrgID: o.ID, MemberID: m.ID, Step: "email-code",
		RememberMe: true, ReturnTo: "/dashboard", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	if err := s.CreateSigninFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		if n, err := s.ReserveFlowAttempt(ctx, f.TokenHash, 3); err != nil || n != want {
			t.Fatalf("reservation %d: got %d, %v", want, n, err)
		}
	}
	if _, err := s.ReserveFlowAttempt(ctx, f.TokenHash, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a fourth reservation with a limit of 3: got %v, want ErrNotFound", err)
	}
	if err := s.ReleaseFlowAttempt(ctx, f.TokenHash); err != nil {
		t.Fatal(err)
	}
	// Saving a copy read before the reservations keeps them at the same step.
	if err := s.UpdateSigninFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SigninFlowByTokenHash(ctx, f.TokenHash); got.Attempts != 2 {
		t.Errorf("after a release and a save at the same step: %d attempts, want 2", got.Attempts)
	}
	f.Step = "done" // a new step starts with none
	if err := s.UpdateSigninFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	got, err := s.SigninFlowByTokenHash(ctx, tokenHash("flow"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(f) {
		t.Errorf("flow: got %+v, want %+v", got, f)
	}
	if err := s.DeleteSigninFlow(ctx, tokenHash("flow")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSigninFlow(ctx, tokenHash("flow")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
}

// testFlowAttemptsConcurrent reserves answers at one step from many
// goroutines: exactly the limit are counted, each count once.
func testFlowAttemptsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	f := store.SigninFlow{TokenHash: tokenHash("flow"), OrgID: o.ID, MemberID: m.ID, Step: "mfa",
		CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	if err := s.CreateSigninFlow(ctx, &f); err != nil {
		t.Fatal(err)
	}
	const answers, limit = 30, 5
	results := make(chan int, answers)
	var wg sync.WaitGroup
	for range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.ReserveFlowAttempt(ctx, f.TokenHash, limit)
			switch {
			case errors.Is(err, store.ErrNotFound):
				results <- 0
			case err != nil:
				t.Errorf("reserve: %v", err)
			default:
				results <- n
			}
		}()
	}
	wg.Wait()
	close(results)
	var counted []int
	for n := range results {
		if n > 0 {
			counted = append(counted, n)
		}
	}
	sort.Ints(counted)
	if fmt.Sprint(counted) != "[1 2 3 4 5]" {
		t.Errorf("counted %v of %d concurrent answers, want [1 2 3 4 5]", counted, answers)
	}
}

func testTransactionRollsBack(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context) error {
		newMemberIn(ctx, t, s, o.ID, "half@acme.test")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the callback's error", err)
	}
	if _, err := s.MemberByEmail(ctx, o.ID, "half@acme.test"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("member written by a rolled-back transaction: %v", err)
	}
	err = s.InTx(ctx, func(ctx context.Context) error {
		newMemberIn(ctx, t, s, o.ID, "whole@acme.test")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MemberByEmail(ctx, o.ID, "whole@acme.test"); err != nil {
		t.Errorf("committed member: %v", err)
	}
}

// testConcurrentWriters checks that parallel writes never fail on locks
// (SQLite's "database is locked") and never lose a row.
func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	const writers = 32
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.InTx(ctx, func(ctx context.Context) error {
				m := store.Member{OrgID: o.ID, Email: fmt.Sprintf("m%d@acme.test", i), Name: "M", Role: store.RoleMember,
					Status: store.StatusActive, CreatedAt: now}
				if err := s.CreateMember(ctx, &m); err != nil {
					return err
				}
				sess := store.Session{TokenHash: tokenHash(fmt.Sprint(i)), OrgID: o.ID, MemberID: m.ID, CreatedAt: now,
					LastSeenAt: now, AuthTime: now, ExpiresAt: now.Add(time.Hour)}
				return s.CreateSession(ctx, &sess)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	for i := range writers {
		if _, err := s.SignedInByTokenHash(ctx, tokenHash(fmt.Sprint(i))); err != nil {
			t.Errorf("session %d lost: %v", i, err)
		}
	}
}
