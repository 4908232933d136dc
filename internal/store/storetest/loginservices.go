package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"imslogin/internal/store"
)

// LoginServiceStore is a store with login services, which are not part of
// store.Store.
type LoginServiceStore interface {
	store.Store
	store.LoginServices
	store.Registrations
	store.Jobs
}

// RunLoginServices runs the conformance cases of login services,
// identities and sign-ins under way.
func RunLoginServices(t *testing.T, newStore func(t *testing.T) LoginServiceStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s LoginServiceStore)
	}{
		{"LoginServices", testLoginServices},
		{"Identities", testIdentities},
		{"LoginStates", testLoginStates},
		{"LoginServiceIsolation", testLoginServiceIsolation},
		{"Registrations", testRegistrations},
		{"RegistrationIsolation", testRegistrationIsolation},
		{"RunExclusive", testRunExclusive},
		{"ExternalMFA", testExternalMFA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

func newLoginService(t *testing.T, s LoginServiceStore, orgID int64, name string) store.LoginService {
	t.Helper()
	ls := store.LoginService{OrgID: orgID, Kind: "oidc", Name: name, Issuer: "https://idp.example/" + name,
		ClientID: "ims", ClientSecret: []byte{1, 2, 3}, Scopes: []string{"openid", "profile"},
		UsernameClaim: "preferred_username", Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateLoginService(context.Background(), &ls); err != nil {
		t.Fatal(err)
	}
	return ls
}

func testLoginServices(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	nih := newLoginService(t, s, o.ID, "NIH Network Login")
	dup := nih
	dup.Name = "nih network login"
	if err := s.CreateLoginService(ctx, &dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("same name in another case: %v, want ErrConflict", err)
	}
	got, err := s.LoginServiceByID(ctx, o.ID, nih.ID)
	if err != nil || got.Name != nih.Name || !slices.Equal(got.ClientSecret, []byte{1, 2, 3}) ||
		!slices.Equal(got.Scopes, []string{"openid", "profile"}) || !got.Enabled || !got.CreatedAt.Equal(now) {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	got.Enabled, got.ClientSecret, got.UpdatedAt = false, []byte{9}, now.Add(time.Hour)
	if err := s.UpdateLoginService(ctx, &got); err != nil {
		t.Fatal(err)
	}
	newLoginService(t, s, o.ID, "Acme Employee Login")
	list, err := s.LoginServicesOf(ctx, o.ID)
	if err != nil || len(list) != 2 || list[0].Name != "Acme Employee Login" || list[1].Enabled ||
		!slices.Equal(list[1].ClientSecret, []byte{9}) {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if err := s.DeleteLoginService(ctx, o.ID, nih.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginServiceByID(ctx, o.ID, nih.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func testIdentities(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	nih := newLoginService(t, s, o.ID, "NIH Network Login")
	other := newLoginService(t, s, o.ID, "Employee Login")
	ana := NewMember(t, s, o.ID, "ana@acme.test")
	bob := NewMember(t, s, o.ID, "bob@acme.test")
	if _, err := s.IdentityOfMember(ctx, o.ID, ana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("not linked yet: %v", err)
	}
	link := store.MemberIdentity{OrgID: o.ID, MemberID: ana.ID, ServiceID: nih.ID, Subject: "sub-1", Username: "alima", LinkedAt: now}
	if err := s.LinkIdentity(ctx, link); err != nil {
		t.Fatal(err)
	}
	taken := link
	taken.MemberID = bob.ID
	if err := s.LinkIdentity(ctx, taken); !errors.Is(err, store.ErrConflict) {
		t.Errorf("another member's subject: %v, want ErrConflict", err)
	}
	if _, err := s.IdentityOfMember(ctx, o.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused link left a row: %v", err)
	}
	got, err := s.IdentityBySubject(ctx, o.ID, nih.ID, "sub-1")
	if err != nil || got.MemberID != ana.ID || got.Username != "alima" || !got.LinkedAt.Equal(now) {
		t.Fatalf("by subject: %+v, %v", got, err)
	}
	if _, err := s.IdentityBySubject(ctx, o.ID, other.ID, "sub-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the same subject at another service is another account: %v", err)
	}
	// Linking another account replaces the first.
	switched := store.MemberIdentity{OrgID: o.ID, MemberID: ana.ID, ServiceID: other.ID, Subject: "e-7", LinkedAt: now}
	if err := s.LinkIdentity(ctx, switched); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IdentityBySubject(ctx, o.ID, nih.ID, "sub-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old identity stayed: %v", err)
	}
	list, err := s.IdentitiesOf(ctx, o.ID)
	if err != nil || len(list) != 1 || list[0].ServiceID != other.ID {
		t.Errorf("identities: %+v, %v", list, err)
	}
	if err := s.UnlinkIdentity(ctx, o.ID, ana.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkIdentity(ctx, link); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLoginService(ctx, o.ID, nih.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.IdentityOfMember(ctx, o.ID, ana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("identity outlived its service: %v", err)
	}
}

func testLoginStates(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	nih := newLoginService(t, s, o.ID, "NIH Network Login")
	st := store.LoginState{StateHash: tokenHash("state"), OrgID: o.ID, ServiceID: nih.ID, BrowserHash: tokenHash("browser"),
		Nonce: "n", Verifier: "v", ReturnTo: "/dashboard", ExpiresAt: now.Add(10 * time.Minute)}
	if err := s.CreateLoginState(ctx, st); err != nil {
		t.Fatal(err)
	}
	linked := st
	linked.StateHash, linked.LinkHash, linked.ExpiresAt = tokenHash("other"), tokenHash("link"), now.Add(-time.Second)
	if err := s.CreateLoginState(ctx, linked); err != nil {
		t.Fatal(err)
	}
	got, err := s.TakeLoginState(ctx, st.StateHash)
	if err != nil || got.Nonce != "n" || got.Verifier != "v" || got.ReturnTo != "/dashboard" || got.LinkHash != nil ||
		!slices.Equal(got.BrowserHash, st.BrowserHash) || !got.ExpiresAt.Equal(st.ExpiresAt) {
		t.Fatalf("take: %+v, %v", got, err)
	}
	if _, err := s.TakeLoginState(ctx, st.StateHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("taken twice: %v", err)
	}
	if n, err := s.DeleteExpiredLoginStates(ctx, now); err != nil || n != 1 {
		t.Errorf("expired states removed: %d, %v; want 1", n, err)
	}
}

func testLoginServiceIsolation(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	acme := NewOrganisation(t, s, "Acme")
	globex := NewOrganisation(t, s, "Globex")
	nih := newLoginService(t, s, acme.ID, "NIH Network Login")
	ana := NewMember(t, s, acme.ID, "ana@acme.test")
	hank := NewMember(t, s, globex.ID, "hank@globex.test")
	if err := s.LinkIdentity(ctx, store.MemberIdentity{OrgID: acme.ID, MemberID: ana.ID, ServiceID: nih.ID, Subject: "s", LinkedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginServiceByID(ctx, globex.ID, nih.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's service read: %v", err)
	}
	if list, err := s.LoginServicesOf(ctx, globex.ID); err != nil || len(list) != 0 {
		t.Errorf("another organisation's services listed: %v, %v", list, err)
	}
	changed := nih
	changed.OrgID, changed.Name = globex.ID, "Stolen"
	if err := s.UpdateLoginService(ctx, &changed); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's service changed: %v", err)
	}
	if err := s.DeleteLoginService(ctx, globex.ID, nih.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's service deleted: %v", err)
	}
	// Linking across organisations: a Globex member to Acme's service, in either's name.
	for _, orgID := range []int64{acme.ID, globex.ID} {
		err := s.LinkIdentity(ctx, store.MemberIdentity{OrgID: orgID, MemberID: hank.ID, ServiceID: nih.ID, Subject: "h", LinkedAt: now})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a member linked to another organisation's service (as %d): %v", orgID, err)
		}
	}
	if _, err := s.IdentityBySubject(ctx, globex.ID, nih.ID, "s"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's identity read: %v", err)
	}
	if _, err := s.IdentityOfMember(ctx, globex.ID, ana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's member's identity read: %v", err)
	}
	if err := s.UnlinkIdentity(ctx, globex.ID, ana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's identity removed: %v", err)
	}
	if list, err := s.IdentitiesOf(ctx, globex.ID); err != nil || len(list) != 0 {
		t.Errorf("another organisation's identities listed: %v, %v", list, err)
	}
	if got, err := s.LoginServiceByID(ctx, acme.ID, nih.ID); err != nil || got.Name != nih.Name {
		t.Errorf("the service after the attempts: %+v, %v", got, err)
	}
}

func register(t *testing.T, s LoginServiceStore, m store.Member, countFrom time.Time) {
	t.Helper()
	r := store.Registration{OrgID: m.OrgID, MemberID: m.ID, Email: m.Email, SentAt: countFrom,
		ExpiresAt: countFrom.Add(7 * 24 * time.Hour), CountFrom: countFrom}
	if err := s.PutRegistration(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func testRegistrations(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	nih := newLoginService(t, s, o.ID, "NIH Network Login")
	day := 24 * time.Hour
	old := now.Add(-31 * day)
	unlinked := NewMember(t, s, o.ID, "unlinked@acme.test")
	linked := NewMember(t, s, o.ID, "linked@acme.test")
	withPassword := NewMember(t, s, o.ID, "password@acme.test")
	recent := NewMember(t, s, o.ID, "recent@acme.test")
	for _, m := range []store.Member{unlinked, linked, withPassword} {
		register(t, s, m, old)
	}
	register(t, s, recent, now.Add(-10*day))
	for _, m := range []store.Member{unlinked, linked, recent} {
		if err := s.SetPasswordHash(ctx, o.ID, m.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.LinkIdentity(ctx, store.MemberIdentity{OrgID: o.ID, MemberID: linked.ID, ServiceID: nih.ID, Subject: "s", LinkedAt: now}); err != nil {
		t.Fatal(err)
	}
	r, err := s.RegistrationOf(ctx, o.ID, unlinked.ID)
	if err != nil || r.Email != unlinked.Email || !r.CountFrom.Equal(old) || !r.ExpiresAt.Equal(old.Add(7*day)) {
		t.Fatalf("registration: %+v, %v", r, err)
	}
	list, err := s.UnlinkedPastLimit(ctx, now, 100)
	if err != nil || len(list) != 1 || list[0].Member.ID != unlinked.ID || list[0].Member.Email != unlinked.Email {
		t.Fatalf("past the limit: %+v, %v; want only the unlinked member", list, err)
	}
	if err := s.DeleteUnlinkedMember(ctx, o.ID, linked.ID, now.Add(-30*day)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a linked member deleted: %v", err)
	}
	if err := s.ResetRemovalCount(ctx, o.ID, unlinked.ID, now); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.UnlinkedPastLimit(ctx, now, 100); len(list) != 0 {
		t.Errorf("after a reset: %+v", list)
	}
	if err := s.DeleteUnlinkedMember(ctx, o.ID, unlinked.ID, now.Add(-30*day)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a reset member deleted: %v", err)
	}
	if err := s.DeleteUnlinkedMember(ctx, o.ID, unlinked.ID, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MemberByID(ctx, o.ID, unlinked.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("member after deletion: %v", err)
	}
	if regs, err := s.RegistrationsOf(ctx, o.ID); err != nil || len(regs) != 3 {
		t.Errorf("registrations left: %d, %v; want 3", len(regs), err)
	}
}

func testRegistrationIsolation(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	acme := NewOrganisation(t, s, "Acme")
	globex := NewOrganisation(t, s, "Globex")
	ana := NewMember(t, s, acme.ID, "ana@acme.test")
	if err := s.SetPasswordHash(ctx, acme.ID, ana.ID, ""); err != nil {
		t.Fatal(err)
	}
	register(t, s, ana, now.Add(-100*24*time.Hour))
	forged := store.Registration{OrgID: globex.ID, MemberID: ana.ID, Email: "x@globex.test", SentAt: now, ExpiresAt: now, CountFrom: now}
	if err := s.PutRegistration(ctx, forged); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a registration for another organisation's member: %v", err)
	}
	if _, err := s.RegistrationOf(ctx, globex.ID, ana.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's registration read: %v", err)
	}
	if list, _ := s.RegistrationsOf(ctx, globex.ID); len(list) != 0 {
		t.Errorf("another organisation's registrations listed: %+v", list)
	}
	if err := s.ResetRemovalCount(ctx, globex.ID, ana.ID, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's count reset: %v", err)
	}
	if err := s.DeleteUnlinkedMember(ctx, globex.ID, ana.ID, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another organisation's member deleted: %v", err)
	}
	if r, err := s.RegistrationOf(ctx, acme.ID, ana.ID); err != nil || r.Email != ana.Email {
		t.Errorf("the registration after the attempts: %+v, %v", r, err)
	}
}

func testRunExclusive(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := s.RunExclusive(ctx, "cleanup", time.Minute, now, func(context.Context) error {
			close(holding)
			<-release
			return nil
		})
		done <- err
	}()
	<-holding
	ran, err := s.RunExclusive(ctx, "cleanup", time.Minute, now, func(context.Context) error {
		t.Error("ran while another holds the job")
		return nil
	})
	if err != nil || ran {
		t.Errorf("while held: ran %v, %v", ran, err)
	}
	other, err := s.RunExclusive(ctx, "another job", time.Minute, now, func(context.Context) error { return nil })
	if err != nil || !other {
		t.Errorf("another job: ran %v, %v", other, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := errors.New("job failed")
	ran, err = s.RunExclusive(ctx, "cleanup", time.Minute, now, func(context.Context) error { return want })
	if !ran || !errors.Is(err, want) {
		t.Errorf("after release: ran %v, %v; want it to run and return its error", ran, err)
	}
	if ran, err := s.RunExclusive(ctx, "cleanup", time.Minute, now, func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("after a failed run: ran %v, %v; want the lock given back", ran, err)
	}
}

func testExternalMFA(t *testing.T, s LoginServiceStore) {
	ctx := context.Background()
	acme := NewOrganisation(t, s, "Acme")
	globex := NewOrganisation(t, s, "Globex")
	if on, err := s.ExternalMFA(ctx, acme.ID); err != nil || !on {
		t.Fatalf("never set: %v, %v; want on", on, err)
	}
	if err := s.SetExternalMFA(ctx, acme.ID, false, now); err != nil {
		t.Fatal(err)
	}
	if on, err := s.ExternalMFA(ctx, acme.ID); err != nil || on {
		t.Errorf("after turning it off: %v, %v", on, err)
	}
	if on, err := s.ExternalMFA(ctx, globex.ID); err != nil || !on {
		t.Errorf("another organisation's setting changed: %v, %v", on, err)
	}
	if err := s.SetExternalMFA(ctx, acme.ID, true, now); err != nil {
		t.Fatal(err)
	}
	if on, err := s.ExternalMFA(ctx, acme.ID); err != nil || !on {
		t.Errorf("after turning it on again: %v, %v", on, err)
	}
}
