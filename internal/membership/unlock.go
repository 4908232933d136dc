package membership

import (
	"context"
	"errors"
	"strings"

	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/store"
)

// Unlock lifts a member's sign-in lock at once and forgets their failed
// attempts, recording the unlock (when there was a lock) in the same
// transaction. actor is who unlocks; empty means the command line.
func (s *Service) Unlock(ctx context.Context, organisation, email, actor string) (wasLocked bool, err error) {
	org, err := s.Store.OrganisationByName(ctx, organisation)
	if errors.Is(err, store.ErrNotFound) {
		return false, invalid("no organisation named %q", strings.TrimSpace(organisation))
	}
	if err != nil {
		return false, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	m, err := s.Store.MemberByEmail(ctx, org.ID, email)
	if errors.Is(err, store.ErrNotFound) {
		return false, invalid("%s is not a member of %s", email, org.Name)
	}
	if err != nil {
		return false, err
	}
	if actor == "" {
		actor = audit.ActorCommandLine
	}
	guard := &lockout.Guard{Store: s.Store, Now: s.Now}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		if wasLocked, err = guard.Unlock(ctx, lockout.Of(org.ID, m.Email)); err != nil || !wasLocked {
			return err
		}
		return s.Store.AppendAuditEvent(ctx, &store.AuditEvent{OrgID: org.ID, At: s.Now(), Kind: audit.Unlock,
			MemberID: m.ID, Email: m.Email, Actor: actor})
	})
	return wasLocked, err
}
