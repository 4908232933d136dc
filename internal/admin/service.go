package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/linkmail"
	"imslogin/internal/lockout"
	"imslogin/internal/membership"
	"imslogin/internal/mfa"
	"imslogin/internal/session"
	"imslogin/internal/store"
)

// Actor is who acts: a signed-in member or an API token.
type Actor struct {
	OrgID      int64
	MemberID   int64  // 0 for an API token
	Label      string // for the audit log: the member's email, or "API token NAME"
	Perms      access.Set
	Owner      bool // only Owners change Owners
	DataAccess bool // only members with Sensitive Data Access grant it
	Address    string
	UserAgent  string
}

// Can reports whether the actor holds p.
func (a Actor) Can(p access.Permission) bool { return a.Perms.Has(p) }

// Store is what Admin Settings and the admin API read and write. It is
// the widest of the consumers' views: administration touches members,
// roles, settings, tokens and the audit log, but never sessions' tokens,
// sign-in flows, codes or the outbox's delivery.
type Store interface {
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	SetMemberStatus(ctx context.Context, orgID, memberID int64, status store.MemberStatus) error
	DeleteMemberSessions(ctx context.Context, orgID, memberID int64) error
	// EndLostAccess ends the grants of a member their portals no longer admit.
	EndLostAccess(ctx context.Context, orgID, memberID int64, clientID string, now time.Time) ([]store.LostAccess, error)
	store.Roles
	store.Administration
	store.APITokens
	store.AuditCounts
	AuditEvents(ctx context.Context, orgID int64, f store.AuditFilter) ([]store.AuditEvent, error)
	mfa.PolicyStore
	mfa.MemberFactors
	MembersMFAMethods(ctx context.Context, orgID int64, memberIDs []int64) (map[int64][]string, error)
	linkmail.Outbox
	lockout.Store
}

// Service applies the administration rules over the store.
type Service struct {
	Store   Store
	Members *membership.Service
	Links   *linkmail.Sender
	Lockout *lockout.Guard
	Now     func() time.Time
	// Ended is told when an action ends a member's sessions (single
	// sign-on ends their tokens and tells the portals); nil for nothing.
	Ended session.Hook
}

// ErrForbidden is an action the actor's permissions do not allow.
var ErrForbidden = errors.New("you do not have permission to do this")

// Refused is input or an action the rules refuse, with a message per form
// field; "" holds a message about the whole request.
type Refused struct{ Fields map[string]string }

func (e *Refused) Error() string {
	var parts []string
	if m := e.Fields[""]; m != "" {
		parts = append(parts, m)
	}
	for f, m := range e.Fields {
		if f != "" {
			parts = append(parts, f+": "+m)
		}
	}
	return strings.Join(parts, "; ")
}

func refuse(field, format string, args ...any) *Refused {
	return &Refused{Fields: map[string]string{field: fmt.Sprintf(format, args...)}}
}

// refusedFrom turns membership's validation errors into a Refused.
func refusedFrom(err error) error {
	if errors.Is(err, membership.ErrInvalid) {
		return &Refused{Fields: membership.Fields(err)}
	}
	return err
}

// auditEvent starts an audit entry about an actor's action.
func (s *Service) auditEvent(a Actor, kind string) store.AuditEvent {
	return store.AuditEvent{OrgID: a.OrgID, At: s.Now(), Kind: kind, Actor: a.Label, Address: a.Address,
		UserAgent: a.UserAgent}
}

// about sets the member an entry concerns.
func about(e store.AuditEvent, m store.Member) store.AuditEvent {
	e.MemberID, e.Email = m.ID, m.Email
	return e
}
