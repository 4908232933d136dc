package portal

import (
	"context"
	"fmt"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// endLostAccess ends, in the change's transaction, the tokens and pending
// codes of the members p's new access rule no longer admits, with an
// audit entry about each member.
func (s *Service) endLostAccess(ctx context.Context, by By, p store.Portal) error {
	lost, err := s.Store.EndLostAccess(ctx, p.OrgID, 0, p.ClientID)
	if err != nil {
		return err
	}
	for _, l := range lost {
		e := audit.Event(by.Origin, s.Now(), by.OrgID, audit.TokensEnded)
		e.Actor, e.MemberID = by.Actor, l.MemberID
		if m, err := s.Store.MemberByID(ctx, p.OrgID, l.MemberID); err == nil {
			e.Email = m.Email
		}
		e.Detail = fmt.Sprintf("%d tokens of portal %q (client ID %s) ended: no longer allowed to use it", l.Tokens, p.Name, p.ClientID)
		if err := s.Store.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
	}
	return nil
}
