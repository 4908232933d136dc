package storetest

import (
	"context"
	"errors"
	"testing"

	"imslogin/internal/store"
)

// testMemberCounts: the number of members and of licences in use that Team
// Members shows follow every change, per organisation, and a rolled-back
// change leaves them as they were.
func testMemberCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	other := NewOrganisation(t, s, "Globex")
	if m, l := countsOf(t, s, o.ID); m != 0 || l != 0 {
		t.Errorf("no members yet: %d members, %d licences, want 0 and 0", m, l)
	}
	ana := NewMember(t, s, o.ID, "ana@acme.test")
	NewMember(t, s, o.ID, "bea@acme.test")
	unlicensed := store.Member{OrgID: o.ID, Email: "cy@acme.test", Name: "Cy", Role: store.RoleMember,
		Status: store.StatusInvited, CreatedAt: now}
	if err := s.CreateMember(ctx, &unlicensed); err != nil {
		t.Fatal(err)
	}
	NewMember(t, s, other.ID, "ana@globex.test")
	if m, l := countsOf(t, s, o.ID); m != 3 || l != 2 {
		t.Errorf("Acme: %d members, %d licences, want 3 and 2", m, l)
	}
	if m, l := countsOf(t, s, other.ID); m != 1 || l != 1 {
		t.Errorf("Globex: %d members, %d licences, want 1 and 1", m, l)
	}
	if n, _ := s.CountMembers(ctx, o.ID, "", 2); n != 3 {
		t.Errorf("count capped at 2: got %d, want 3 (over the cap)", n)
	}

	if err := s.SetMemberAccess(ctx, o.ID, ana.ID, store.MemberAccess{Role: store.RoleMember}); err != nil {
		t.Fatal(err)
	}
	if m, l := countsOf(t, s, o.ID); m != 3 || l != 1 {
		t.Errorf("after taking a licence back: %d members, %d licences, want 3 and 1", m, l)
	}
	if err := s.SetMemberAccess(ctx, o.ID, unlicensed.ID, store.MemberAccess{Role: store.RoleMember, Licensed: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMemberAccess(ctx, o.ID, unlicensed.ID, store.MemberAccess{Role: store.RoleMember, Licensed: true}); err != nil {
		t.Fatal(err)
	}
	if m, l := countsOf(t, s, o.ID); m != 3 || l != 2 {
		t.Errorf("after giving a licence, twice: %d members, %d licences, want 3 and 2", m, l)
	}

	boom := errors.New("boom")
	err := s.InTx(ctx, func(ctx context.Context) error {
		newMemberIn(ctx, t, s, o.ID, "half@acme.test")
		if err := s.SetMemberAccess(ctx, o.ID, unlicensed.ID, store.MemberAccess{Role: store.RoleMember}); err != nil {
			return err
		}
		if m, l := countsIn(ctx, t, s, o.ID); m != 4 || l != 2 {
			t.Errorf("inside the transaction: %d members, %d licences, want 4 and 2", m, l)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if m, l := countsOf(t, s, o.ID); m != 3 || l != 2 {
		t.Errorf("after a rollback: %d members, %d licences, want 3 and 2", m, l)
	}
}

// countsOf reads the organisation's number of members and of licences in use.
func countsOf(t *testing.T, s store.Store, orgID int64) (members, licensed int) {
	t.Helper()
	return countsIn(context.Background(), t, s, orgID)
}

// countsIn is countsOf with the context's transaction, if any.
func countsIn(ctx context.Context, t *testing.T, s store.Store, orgID int64) (members, licensed int) {
	t.Helper()
	members, err := s.CountMembers(ctx, orgID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	licensed, err = s.LicencesInUse(ctx, orgID)
	if err != nil {
		t.Fatal(err)
	}
	return members, licensed
}
