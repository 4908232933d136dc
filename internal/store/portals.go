package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// PortalAccess says which members of its organisation may use a portal.
type PortalAccess string

const (
	PortalAccessAll     PortalAccess = "all"     // every member
	PortalAccessRoles   PortalAccess = "roles"   // members holding one of Portal.Roles
	PortalAccessMembers PortalAccess = "members" // the members listed in Portal.MemberIDs
)

// Valid reports whether a is one of the access rules.
func (a PortalAccess) Valid() bool {
	switch a {
	case PortalAccessAll, PortalAccessRoles, PortalAccessMembers:
		return true
	}
	return false
}

// Portal is an application of an organisation that signs members in
// through single sign-on: an OpenID Connect client. Its ClientID is
// unique across every organisation, so the token endpoint can find the
// portal before it knows the organisation.
type Portal struct {
	ID                     int64
	OrgID                  int64
	ClientID               string
	Name                   string
	RedirectURIs           []string // compared exactly
	PostLogoutRedirectURIs []string
	BackchannelLogoutURI   string // empty: the portal is not told of sign-outs
	HomeURL                string // where the Dashboard sends members; empty: not listed there
	Confidential           bool   // has a client secret (a back end); public clients (SPAs, native apps) have none
	FirstParty             bool   // the organisation's own: members are not asked for consent
	Access                 PortalAccess
	// Roles are role keys (RoleKey: a built-in role's name, or "role:ID"),
	// kept only when Access is PortalAccessRoles; a custom role's key goes
	// with the role.
	Roles []string
	// MemberIDs are the chosen members, kept only when Access is
	// PortalAccessMembers; a member's ID goes with the member.
	MemberIDs            []int64
	AccessTokenLifetime  time.Duration
	IDTokenLifetime      time.Duration
	RefreshTokenLifetime time.Duration
	RefreshGrace         time.Duration // how long a rotated refresh token still works, for clients that race; 0 by default
	SigningAlgorithm     string        // "ES256" (default) or "RS256"
	// RequirePKCE refuses an authorization request without a PKCE code
	// challenge. A public portal always requires it, whatever is stored.
	RequirePKCE bool
	// AllowedScopes are the scopes the portal may ask for, in the
	// provider's order; openid among them.
	AllowedScopes []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// PortalSecret is a confidential portal's client secret. Only a hash of it
// is kept (see internal/portal). The current secret has no ExpiresAt; a
// secret replaced by a rotation keeps working until its ExpiresAt.
type PortalSecret struct {
	ID        int64
	OrgID     int64
	PortalID  int64
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time // zero: the current secret
}

// ValidAt reports whether the secret still works at now.
func (s PortalSecret) ValidAt(now time.Time) bool {
	return s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt)
}

// Portals stores portals and their client secrets. Every method but
// PortalByClientID is scoped by organisation.
type Portals interface {
	// CreatePortal stores p with its roles and members and sets p.ID.
	// ErrConflict if the organisation has a portal of that name (ignoring
	// letter case) or the client ID is taken; ErrNotFound if a custom role
	// or member is not the organisation's.
	CreatePortal(ctx context.Context, p *Portal) error
	// UpdatePortal saves everything but the client ID and creation time,
	// replacing the roles and members. ErrNotFound if the portal, a custom
	// role or a member is not the organisation's; ErrConflict for a name
	// another portal of the organisation has.
	UpdatePortal(ctx context.Context, p Portal) error
	// DeletePortal deletes the portal, its secrets, and what members had
	// with it: access and refresh tokens, consents and use (My Profile →
	// Portals), authorization requests and codes, the record of which
	// sessions signed in to it. Back-channel logouts queued for it stay in
	// the outbox (its worker fails them: the portal is gone).
	DeletePortal(ctx context.Context, orgID, id int64) error
	PortalByID(ctx context.Context, orgID, id int64) (Portal, error)
	// PortalByClientID finds a portal in any organisation.
	PortalByClientID(ctx context.Context, clientID string) (Portal, error)
	// PortalClient finds a portal in any organisation with the secrets
	// that work at now, in one statement, without its access lists: what a
	// token request needs of its client.
	PortalClient(ctx context.Context, clientID string, now time.Time) (Portal, []PortalSecret, error)
	// Portals lists an organisation's portals by name.
	Portals(ctx context.Context, orgID int64) ([]Portal, error)

	// AddPortalSecret stores s as a current secret beside any others
	// (a new portal's first secret) and sets s.ID.
	AddPortalSecret(ctx context.Context, s *PortalSecret) error
	// RotatePortalSecret makes s the portal's current secret: every secret
	// that works now keeps working until oldUntil at the latest (oldUntil
	// at or before s.CreatedAt ends them at once), secrets expired by
	// s.CreatedAt are deleted. Rotations of one portal are serialised (the
	// portal's row is locked first), so concurrent rotations lose no
	// secret. ErrNotFound if the portal is not the organisation's.
	RotatePortalSecret(ctx context.Context, s *PortalSecret, oldUntil time.Time) error
	// PortalSecrets lists the portal's secrets that work at now, newest first.
	PortalSecrets(ctx context.Context, orgID, portalID int64, now time.Time) ([]PortalSecret, error)
	// DeletePortalSecrets deletes every secret of the portal (it became public).
	DeletePortalSecrets(ctx context.Context, orgID, portalID int64) error
	// PortalUsage counts the organisation's members who consented to the
	// portal and who hold its tokens still valid at now.
	PortalUsage(ctx context.Context, orgID int64, clientID string, now time.Time) (PortalUsage, error)
}

// PortalUsage is how many members use a portal, for its administrators.
type PortalUsage struct {
	Consented int64 // members who consented (a first-party portal asks none)
	Holding   int64 // members holding an access token or an unused refresh token not yet expired
}

// customRolePrefix starts the key of a custom role.
const customRolePrefix = "role:"

// RoleKey names a member's role as portals and the admin API do: the
// built-in role's name, or "role:ID" for a custom role.
func RoleKey(m Member) string {
	if m.RoleID != 0 {
		return CustomRoleKey(m.RoleID)
	}
	return string(m.Role)
}

// CustomRoleKey is the key of the custom role id.
func CustomRoleKey(id int64) string { return customRolePrefix + strconv.FormatInt(id, 10) }

// ParseRoleKey reads a role key: a built-in role, or a custom role's ID.
// ok is false for anything else.
func ParseRoleKey(key string) (builtin Role, customID int64, ok bool) {
	if idText, found := strings.CutPrefix(key, customRolePrefix); found {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 || CustomRoleKey(id) != key {
			return "", 0, false
		}
		return "", id, true
	}
	if Role(key).Valid() {
		return Role(key), 0, true
	}
	return "", 0, false
}
