package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/session"
	"imslogin/internal/store"
)

// LogoutStore is what ending sessions' tokens and queueing their portals'
// back-channel logout needs.
type LogoutStore interface {
	store.Logouts
	DeleteSessionTokens(ctx context.Context, orgID, memberID, sessionID int64) (int64, error)
	DeleteMemberTokens(ctx context.Context, orgID, memberID int64, clientID string) (int64, error)
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// Logout is the session.Hook of single sign-on: when sessions end it ends
// the tokens issued from them and queues a back-channel logout for every
// portal they signed in to that has a back-channel logout URI, all in the
// transaction that ends the sessions.
type Logout struct {
	Store   LogoutStore
	Portals Portals
	Now     func() time.Time
	Log     *slog.Logger
}

var _ session.Hook = (*Logout)(nil)

// initiatorKey marks a sign-out a portal asked for (RP-initiated logout):
// that portal is not told, it knows.
type initiatorKey struct{}

func withInitiator(ctx context.Context, clientID string) context.Context {
	return context.WithValue(ctx, initiatorKey{}, clientID)
}

// SessionsEnded ends the tokens and queues the logouts for e.
func (l *Logout) SessionsEnded(ctx context.Context, e session.Ended) error {
	if err := l.endTokens(ctx, e); err != nil {
		return err
	}
	list, err := l.Store.TakeSessionPortals(ctx, e.OrgID, e.MemberID, e.SessionID)
	if err != nil {
		return err
	}
	initiator, _ := ctx.Value(initiatorKey{}).(string)
	now := l.Now()
	for _, sp := range list {
		if sp.ClientID == initiator {
			continue
		}
		p, err := l.Portals.PortalByClientID(ctx, e.OrgID, sp.ClientID)
		if errors.Is(err, store.ErrNotFound) || err == nil && p.BackchannelLogoutURI == "" {
			continue // deleted since, or it does not take back-channel logout
		}
		if err != nil {
			return err
		}
		m := store.LogoutMessage{OrgID: e.OrgID, ClientID: sp.ClientID, MemberID: sp.MemberID, SessionID: sp.SessionID,
			JTI: randomID(18), NextAttemptAt: now, CreatedAt: now}
		if err := l.Store.EnqueueLogout(ctx, &m); err != nil {
			return err
		}
	}
	return nil
}

// endTokens deletes what ends with the sign-out: the tokens bound to the
// session (or to any session of the member), and with Everything the
// offline ones too.
func (l *Logout) endTokens(ctx context.Context, e session.Ended) error {
	var n int64
	var err error
	if e.Everything {
		n, err = l.Store.DeleteMemberTokens(ctx, e.OrgID, e.MemberID, "")
	} else {
		n, err = l.Store.DeleteSessionTokens(ctx, e.OrgID, e.MemberID, e.SessionID)
	}
	if err != nil || n == 0 || !e.Everything {
		return err
	}
	ev := store.AuditEvent{OrgID: e.OrgID, At: l.Now(), Kind: audit.TokensEnded, MemberID: e.MemberID,
		Detail: fmt.Sprintf("%d tokens ended with every session", n)}
	return l.Store.AppendAuditEvent(ctx, &ev)
}
