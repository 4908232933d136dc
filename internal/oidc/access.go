package oidc

import (
	"context"
	"errors"

	"imslogin/internal/store"
)

var errNoLongerAdmitted = errors.New("the member may no longer use this portal")

// stillAdmitted refuses a refresh token whose portal no longer admits its
// member. Changing the access rule or the member's role ends their tokens
// at once (store.Grants.EndLostAccess); this catches a pair a refresh
// racing with that change wrote, at its next use: free for a portal open
// to every member, one read of its access list otherwise. Access tokens
// are not checked on use: they end with the change and live minutes.
func (s *storage) stillAdmitted(ctx context.Context, orgID int64, clientID string, m store.Member) error {
	p, err := s.portal(ctx, clientID)
	if err != nil {
		return err
	}
	ok, err := s.portals.MayUse(ctx, orgID, p, m)
	if err != nil {
		return err
	}
	if !ok {
		return errNoLongerAdmitted
	}
	return nil
}
