// Package store defines IMS Login's domain records and the storage API every
// backend implements. Every query on organisation data takes the organisation's
// ID, so scoping is enforced by the API rather than remembered by callers.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors every backend returns, so callers can tell outcomes apart without
// knowing the database behind the store.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Role is a member's built-in role in their organisation.
type Role string

const (
	RoleOwner         Role = "owner"
	RoleAdministrator Role = "administrator"
	RoleMember        Role = "member"
)

// Valid reports whether r is one of the built-in roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdministrator, RoleMember:
		return true
	}
	return false
}

// MemberStatus is where a member stands in their organisation.
type MemberStatus string

const (
	StatusInvited  MemberStatus = "invited"
	StatusActive   MemberStatus = "active"
	StatusDisabled MemberStatus = "disabled"
)

// Organisation is a tenant. Its Name is unique regardless of letter case;
// its URLName (acme-corp) is unique and names it in addresses: its own
// sign-in page {public URL}/o/{url-name}/login and its issuer.
type Organisation struct {
	ID        int64
	Name      string
	URLName   string // see URLNameOf and ValidURLName; set by operators only
	SignInURL string // official public address used in links; empty means the server's public URL
	Settings  OrganisationSettings
	Licences  int // seats operators sold the organisation; licensed members never exceed it (0 at creation: DefaultLicences)
	CreatedAt time.Time
}

// OrganisationSettings are the policies an organisation's administrators tune.
// Sessions kept with "Keep me signed in" have limits of their own, as
// in Keycloak, so a persistent cookie is not cut short by the browser-session limits.
type OrganisationSettings struct {
	SessionIdleTimeout     time.Duration // a session unused this long ends
	SessionAbsoluteTimeout time.Duration // a session ends this long after sign-in, used or not
	RememberMeIdleTimeout  time.Duration // idle limit of a "Keep me signed in" session
	RememberMeDuration     time.Duration // absolute limit of a "Keep me signed in" session
	LockoutThreshold       int           // failed sign-ins in a row that lock an account
	LockoutDuration        time.Duration // how long a lock lasts before it lifts by itself
	PasswordMinLength      int           // administrators may raise the NIST minimum
	RegistrationLifetime   time.Duration // how long a registration link (Step 2: link an account) works
	UnlinkedRemovalDays    int           // days before a member who never linked an account is removed
	NotifyMemberLockout    bool          // email members when their account locks
	NotifyPasswordChange   bool          // email members when their password changes
	NotifyAdminsNewMember  bool          // email administrators when a member is added
	// RequireVerifiedEmail sends members whose email is not verified
	// through the "Verify your email" step at sign-in.
	RequireVerifiedEmail bool
}

// SessionLimits returns the idle and absolute limits for a session.
func (s OrganisationSettings) SessionLimits(persistent bool) (idle, absolute time.Duration) {
	if persistent {
		return s.RememberMeIdleTimeout, s.RememberMeDuration
	}
	return s.SessionIdleTimeout, s.SessionAbsoluteTimeout
}

// DefaultOrganisationSettings are the settings a new organisation starts with.
func DefaultOrganisationSettings() OrganisationSettings {
	return OrganisationSettings{
		SessionIdleTimeout:     2 * time.Hour,
		SessionAbsoluteTimeout: 12 * time.Hour,
		RememberMeIdleTimeout:  7 * 24 * time.Hour,
		RememberMeDuration:     30 * 24 * time.Hour,
		LockoutThreshold:       5,
		LockoutDuration:        15 * time.Minute,
		PasswordMinLength:      15,
		RegistrationLifetime:   7 * 24 * time.Hour,
		UnlinkedRemovalDays:    30,
		NotifyMemberLockout:    true,
		NotifyPasswordChange:   true,
		RequireVerifiedEmail:   true,
	}
}

// Member is a person's profile in one organisation. The same email may be a
// member of several organisations, each with its own credentials.
type Member struct {
	ID            int64
	OrgID         int64
	Email         string // normalised: trimmed and lower-cased
	Name          string
	Role          Role
	Status        MemberStatus
	Licensed      bool // a member without a licence cannot sign in
	DataAccess    bool // Sensitive Data Access
	EmailVerified bool
	AboutMe       string
	RoleID        int64     // a custom role (Role is then RoleMember); 0 for a built-in role
	Permissions   string    // space-separated permissions granted beyond their role's
	PictureAt     time.Time // when the profile picture was last set; zero if none
	// PasswordHash is the member's IMS Login Service credential (a PHC
	// string); empty means the member has not set a password yet.
	PasswordHash string
	CreatedAt    time.Time
	LastSignInAt time.Time // zero until the first sign-in
}

// Session is a signed-in browser. Only the SHA-256 of the cookie's token is kept.
type Session struct {
	ID         int64
	TokenHash  []byte
	OrgID      int64
	MemberID   int64
	Persistent bool // "Keep me signed in": the cookie outlives the browser
	CreatedAt  time.Time
	LastSeenAt time.Time
	AuthTime   time.Time // when the member last proved who they are
	ExpiresAt  time.Time // absolute end, whatever the activity
	UserAgent  string
	Address    string
	// AMR lists how the member proved who they are (RFC 8176 values such
	// as "pwd", "otp", "sms", "hwk", "mfa"), for tokens issued later.
	AMR []string
}

// SigninFlow is a sign-in in progress between its steps (password, then any
// further steps), held server-side and found by the hash of a cookie token.
type SigninFlow struct {
	TokenHash  []byte
	OrgID      int64
	MemberID   int64
	Step       string // the step the member must complete next
	RememberMe bool
	ReturnTo   string
	Attempts   int      // wrong answers so far in this flow
	AMR        []string // methods passed so far
	MFAMethod  string   // the second factor chosen at the MFA step
	// SessionID is the session a step-up continues: renewed when the flow
	// finishes, not replaced; 0 for a sign-in, which starts one.
	SessionID int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Organisations stores tenants.
type Organisations interface {
	// CreateOrganisation stores a new organisation. An empty URLName is
	// derived from the name (URLNameOf), with -2, -3… until it is free, and
	// set on o; a URLName given is stored as it is (the caller validates
	// it). ErrConflict when the name or the URL name is taken.
	CreateOrganisation(ctx context.Context, o *Organisation) error
	OrganisationByID(ctx context.Context, id int64) (Organisation, error)
	// OrganisationByName finds an organisation by name, ignoring letter case.
	OrganisationByName(ctx context.Context, name string) (Organisation, error)
	// OrganisationByURLName finds an organisation by its URL name, exactly
	// (URL names are lower-case); ErrNotFound when none has it.
	OrganisationByURLName(ctx context.Context, urlName string) (Organisation, error)
}

// Members stores team members, always within one organisation.
type Members interface {
	CreateMember(ctx context.Context, m *Member) error
	MemberByID(ctx context.Context, orgID, id int64) (Member, error)
	MemberByEmail(ctx context.Context, orgID int64, email string) (Member, error)
	SetPasswordHash(ctx context.Context, orgID, memberID int64, hash string) error
	// AcceptInvitation makes an invited member active with a verified email
	// and their first password; ErrNotFound if the member is not invited.
	AcceptInvitation(ctx context.Context, orgID, memberID int64, hash string) error
	SetMemberStatus(ctx context.Context, orgID, memberID int64, status MemberStatus) error
	// RecordSignIn moves the member's last sign-in forward to at; an
	// earlier time than the one stored leaves it. ErrNotFound if there is
	// no such member.
	RecordSignIn(ctx context.Context, orgID, memberID int64, at time.Time) error
}

// SignedIn is a session with the member and organisation it belongs to,
// read together because every authenticated request needs all three.
// Member.PasswordHash is always empty here: code that checks the password
// reads the member itself (MemberByID).
type SignedIn struct {
	Session      Session
	Member       Member
	Organisation Organisation
	// RolePermissions are the member's custom role's permissions, if any.
	RolePermissions string
}

// Sessions stores signed-in browsers.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// SignedInByTokenHash finds a session with its member and organisation
	// in one lookup.
	SignedInByTokenHash(ctx context.Context, tokenHash []byte) (SignedIn, error)
	// SessionCheckByTokenHash is the same lookup reading only what decides
	// whether the session is valid and what /whoami tells: the session's
	// IDs, persistence and times; the member's ID, email, name, role,
	// status and licence; the organisation's ID, name and session limits.
	// Every other field is zero.
	SessionCheckByTokenHash(ctx context.Context, tokenHash []byte) (SignedIn, error)
	TouchSession(ctx context.Context, id int64, lastSeen time.Time) error
	DeleteSession(ctx context.Context, orgID, id int64) error
	DeleteMemberSessions(ctx context.Context, orgID, memberID int64) error
	// MemberSessions lists a member's sessions, most recently used first,
	// including ones past their limits that nobody has touched since.
	MemberSessions(ctx context.Context, orgID, memberID int64) ([]Session, error)
	// DeleteMemberSession deletes one session only if it is the member's.
	DeleteMemberSession(ctx context.Context, orgID, memberID, id int64) error
	// RenewSession gives a session a new token hash and authentication
	// time, after the member proved who they are again; amr, unless nil,
	// replaces how (a step-up adds a second factor).
	RenewSession(ctx context.Context, orgID, id int64, tokenHash []byte, authTime time.Time, amr []string) error
}

// SigninFlows stores sign-ins between steps. A flow's Attempts belong to
// the store: ReserveFlowAttempt and ReleaseFlowAttempt change them, and
// UpdateSigninFlow only resets them to zero when the step changes.
type SigninFlows interface {
	CreateSigninFlow(ctx context.Context, f *SigninFlow) error
	SigninFlowByTokenHash(ctx context.Context, tokenHash []byte) (SigninFlow, error)
	// UpdateSigninFlow saves the step, methods passed and MFA method; a new
	// step starts with no attempts.
	UpdateSigninFlow(ctx context.Context, f *SigninFlow) error
	DeleteSigninFlow(ctx context.Context, tokenHash []byte) error
	// ReserveFlowAttempt counts an answer at the flow's step before it is
	// checked, in one atomic statement, and returns the new count: of any
	// number of concurrent answers at most limit are counted. ErrNotFound
	// when limit answers are counted already, or the flow is gone.
	ReserveFlowAttempt(ctx context.Context, tokenHash []byte, limit int) (int, error)
	// ReleaseFlowAttempt gives back an attempt whose answer was no guess
	// (a malformed or expired code).
	ReleaseFlowAttempt(ctx context.Context, tokenHash []byte) error
}

// Store is the whole storage API. Only the wiring (cmd/ims,
// internal/server), the backends and the conformance suite see it; every
// other package declares the few methods it calls (see aggregate_test.go).
type Store interface {
	Organisations
	Members
	Sessions
	SigninFlows
	Lockouts
	AuditLog
	Outbox
	LinkTokens
	OneTimeCodes
	EmailVerification
	Roles
	Administration
	APITokens
	AuditCounts
	MFA
	SecretsAtRest
	SMSOutbox
	Transactor
}

// Transactor is the unit of work: InTx runs fn with a context whose store
// calls share one transaction, committed when fn returns nil and rolled
// back otherwise. A consumer takes it beside the narrow interfaces it
// calls, and inside fn calls them with fn's context (named ctx, so the
// outer one is shadowed). InTx within InTx joins the outer transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}
