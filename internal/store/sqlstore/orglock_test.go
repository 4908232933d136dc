package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestLockedOrganisationDoesNotDeadlockMemberChanges, on PostgreSQL: while
// one node holds the organisation (adding a member checks its licences),
// another node's clean-up removes an unlinked profile and audits it in
// one transaction. The audit entry is written without waiting for the
// organisation, so the first node's member insert, which waits for the
// member counts the removal changed, is not a deadlock.
func TestLockedOrganisationDoesNotDeadlockMemberChanges(t *testing.T) {
	database := sqltest.NewPostgresDatabase(t)
	first, second := sqltest.Open(t, database), sqltest.Open(t, database)
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	org := store.Organisation{Name: "Acme", URLName: "acme", Settings: store.DefaultOrganisationSettings(), Licences: 10, CreatedAt: now}
	if err := first.CreateOrganisation(ctx, &org); err != nil {
		t.Fatal(err)
	}
	member := func(email string) *store.Member {
		return &store.Member{OrgID: org.ID, Email: email, Name: email, Role: store.RoleMember, Status: store.StatusActive,
			Licensed: true, CreatedAt: now}
	}
	// A profile the clean-up removes: invited, registered long ago.
	removed := member("removed@acme.test")
	removed.Status = store.StatusInvited
	if err := first.CreateMember(ctx, removed); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-31 * 24 * time.Hour)
	if err := first.PutRegistration(ctx, store.Registration{OrgID: org.ID, MemberID: removed.ID, Email: removed.Email,
		SentAt: old, ExpiresAt: old, CountFrom: old}); err != nil {
		t.Fatal(err)
	}
	locked, audited := make(chan struct{}), make(chan error, 1)
	go func() {
		<-locked
		tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		audited <- second.InTx(tctx, func(ctx context.Context) error {
			if err := second.DeleteUnlinkedMember(ctx, org.ID, removed.ID, now.Add(-30*24*time.Hour)); err != nil {
				return err
			}
			return second.AppendAuditEvent(ctx, &store.AuditEvent{OrgID: org.ID, At: now, Kind: "unlinked-removal",
				MemberID: removed.ID, Email: removed.Email, Actor: "clean-up"})
		})
	}()
	err := first.InTx(ctx, func(ctx context.Context) error {
		if _, err := first.LockOrganisation(ctx, org.ID); err != nil {
			return err
		}
		close(locked)
		if err := <-audited; err != nil {
			t.Errorf("the other node's member change and audit entry while the organisation is held: %v", err)
		}
		return first.CreateMember(ctx, member("added@acme.test"))
	})
	if err != nil {
		t.Errorf("adding a member while holding the organisation: %v", err)
	}
}
