package portal

import (
	"context"
	"fmt"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// told says how the portal is told, for the audit log.
func told(l store.LostAccess) string {
	if l.Logouts == 0 {
		return ""
	}
	return fmt.Sprintf("; the portal is told of %d sessions (back-channel logout)", l.Logouts)
}

// endLostAccess ends, in the change's transaction, the tokens and pending
// codes of the members p's new access rule no longer admits, and has the
// portal told of their sessions, with an audit entry about each member.
func (s *Service) endLostAccess(ctx context.Context, by By, p store.Portal) error {
	lost, err := s.Store.EndLostAccess(ctx, p.OrgID, 0, p.ClientID, s.Now())
	if err != nil {
		return err
	}
	for _, l := range lost {
		e := audit.Event(by.Origin, s.Now(), by.OrgID, audit.TokensEnded)
		e.Actor, e.MemberID = by.Actor, l.MemberID
		if m, err := s.Store.MemberByID(ctx, p.OrgID, l.MemberID); err == nil {
			e.Email = m.Email
		}
		e.Detail = fmt.Sprintf("%d tokens of portal %q (client ID %s) ended: no longer allowed to use it%s", l.Tokens, p.Name, p.ClientID, told(l))
		if err := s.Store.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
	}
	return nil
}
