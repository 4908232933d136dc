package store

import (
	"context"
	"time"
)

// LoginService is an external identity provider an organisation enables
// beside IMS Login Service. ClientSecret is sealed (see secretbox); only
// the login service package opens it.
type LoginService struct {
	ID            int64
	OrgID         int64
	Kind          string // the registry's name for how it is spoken to: "oidc"
	Name          string // shown on buttons: "NIH Network Login"
	Issuer        string
	ClientID      string
	ClientSecret  []byte // sealed
	Scopes        []string
	UsernameClaim string // the claim shown to administrators as the username
	Enabled       bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MemberIdentity is a member's account at an external login service,
// keyed by (service, subject): never by email.
type MemberIdentity struct {
	OrgID     int64
	MemberID  int64
	ServiceID int64
	Subject   string
	Username  string // the username claim when it was linked, for administrators
	LinkedAt  time.Time
}

// LoginState is a sign-in sent to a login service and not back yet.
type LoginState struct {
	StateHash   []byte
	OrgID       int64
	ServiceID   int64
	BrowserHash []byte // the hash of a cookie of the browser that began it
	Nonce       string
	Verifier    string // the PKCE code verifier
	ReturnTo    string
	LinkHash    []byte // a registration link being completed, if any
	ExpiresAt   time.Time
}

// LoginServices stores login services, members' identities at them, and
// sign-ins under way. Every method but TakeLoginState is scoped by the
// organisation.
type LoginServices interface {
	// CreateLoginService stores s and sets its ID; ErrConflict when the
	// organisation has a service of that name (ignoring case).
	CreateLoginService(ctx context.Context, s *LoginService) error
	// UpdateLoginService saves every field but the ID, organisation and
	// creation time; ErrNotFound when the organisation has no such service.
	UpdateLoginService(ctx context.Context, s *LoginService) error
	DeleteLoginService(ctx context.Context, orgID, id int64) error
	LoginServiceByID(ctx context.Context, orgID, id int64) (LoginService, error)
	// LoginServicesOf lists the organisation's services by name.
	LoginServicesOf(ctx context.Context, orgID int64) ([]LoginService, error)

	// IdentityBySubject finds who is linked to (service, subject).
	IdentityBySubject(ctx context.Context, orgID, serviceID int64, subject string) (MemberIdentity, error)
	IdentityOfMember(ctx context.Context, orgID, memberID int64) (MemberIdentity, error)
	// LinkIdentity sets the member's identity, replacing any other;
	// ErrConflict when (service, subject) is another member's.
	LinkIdentity(ctx context.Context, id MemberIdentity) error
	UnlinkIdentity(ctx context.Context, orgID, memberID int64) error
	// IdentitiesOf lists the organisation's identities.
	IdentitiesOf(ctx context.Context, orgID int64) ([]MemberIdentity, error)

	CreateLoginState(ctx context.Context, s LoginState) error
	// TakeLoginState reads and deletes a state in one statement, so a
	// state is used once however many callbacks bring it.
	TakeLoginState(ctx context.Context, stateHash []byte) (LoginState, error)
	// DeleteExpiredLoginStates removes states that expired before now.
	DeleteExpiredLoginStates(ctx context.Context, now time.Time) (int64, error)

	// ExternalMFA reports whether members who sign in through a login
	// service still pass the organisation's own MFA: true until set.
	ExternalMFA(ctx context.Context, orgID int64) (bool, error)
	SetExternalMFA(ctx context.Context, orgID int64, on bool, at time.Time) error
}
