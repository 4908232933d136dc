package store

import (
	"context"
	"time"
)

// PortalGrant is what one member has let one portal have: the scopes it
// received at its last sign-in, the scopes the member consented to (none
// for a first-party portal, which asks no consent), and when.
type PortalGrant struct {
	OrgID       int64
	MemberID    int64
	ClientID    string
	Scopes      []string // received at the last sign-in
	Consented   []string // consented to; empty when no consent was asked
	ConsentedAt time.Time
	LastUsedAt  time.Time // zero until the first sign-in after consent
}

// Consents stores members' consents to portals and which portals they
// have used, always within one organisation.
type Consents interface {
	// PortalGrant returns ErrNotFound when the member has neither used
	// nor consented to the portal.
	PortalGrant(ctx context.Context, orgID, memberID int64, clientID string) (PortalGrant, error)
	// Consent records the whole set of scopes the member consents to,
	// replacing any set before.
	Consent(ctx context.Context, orgID, memberID int64, clientID string, scopes []string, at time.Time) error
	// RecordPortalUse notes a sign-in to the portal and what it received.
	RecordPortalUse(ctx context.Context, orgID, memberID int64, clientID string, scopes []string, at time.Time) error
	// PortalGrants lists the member's portals, last used first.
	PortalGrants(ctx context.Context, orgID, memberID int64) ([]PortalGrant, error)
	// DeletePortalGrant forgets the member's consent to and use of the
	// portal; ErrNotFound when there is none.
	DeletePortalGrant(ctx context.Context, orgID, memberID int64, clientID string) error
}
