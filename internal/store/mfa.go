package store

import (
	"context"
	"time"
)

// MFAPolicy is an organisation's multi-factor authentication setting.
type MFAPolicy struct {
	Required bool     // every member must pass a second factor
	Methods  []string // the methods members may use: "email", "sms", "totp", "webauthn"
	// TrustedDeviceDuration is how long "Remember me" on the MFA step skips
	// the second factor on that browser; zero turns "Remember me" off.
	TrustedDeviceDuration time.Duration
}

// DefaultMFAPolicy is the policy of an organisation that never changed it.
func DefaultMFAPolicy() MFAPolicy {
	return MFAPolicy{Methods: []string{"email"}, TrustedDeviceDuration: 30 * 24 * time.Hour}
}

// Allows reports whether the policy allows method.
func (p MFAPolicy) Allows(method string) bool {
	for _, m := range p.Methods {
		if m == method {
			return true
		}
	}
	return false
}

// MFAFactor is one second factor a member has set up: an authenticator
// app, a security key, a verified phone, a backup code. Secret belongs to
// the method (a TOTP key, a WebAuthn credential, a code's hash); Counter
// only ever grows, which is how replays are refused.
type MFAFactor struct {
	ID         int64
	OrgID      int64
	MemberID   int64
	Method     string
	Name       string
	Secret     []byte
	Counter    int64
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// TrustedDevice is a browser on which the member chose "Remember me" at the
// MFA step. Only the SHA-256 of its cookie's token is kept.
type TrustedDevice struct {
	ID         int64
	TokenHash  []byte
	OrgID      int64
	MemberID   int64
	UserAgent  string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
}

// MFA stores second factors, always within one organisation.
type MFA interface {
	// MFAPolicy returns the organisation's policy, DefaultMFAPolicy if unset.
	MFAPolicy(ctx context.Context, orgID int64) (MFAPolicy, error)
	SetMFAPolicy(ctx context.Context, orgID int64, p MFAPolicy) error

	// MemberMFA reads the organisation's policy and the member's factors
	// in one statement: the sign-in steps need both on every sign-in.
	MemberMFA(ctx context.Context, orgID, memberID int64) (MFAPolicy, []MFAFactor, error)

	CreateMFAFactor(ctx context.Context, f *MFAFactor) error
	// MemberMFAFactors lists a member's factors, oldest first.
	MemberMFAFactors(ctx context.Context, orgID, memberID int64) ([]MFAFactor, error)
	// AdvanceMFAFactor records a use of a factor with a counter greater than
	// the stored one; ErrConflict if it is not greater (a replay), ErrNotFound
	// if the factor is not the member's.
	AdvanceMFAFactor(ctx context.Context, orgID, memberID, id, counter int64, at time.Time) error
	// DeleteMFAFactor removes one of the member's factors.
	DeleteMFAFactor(ctx context.Context, orgID, memberID, id int64) error
	// DeleteMemberMFAFactors removes the member's factors of one method, or
	// all of them when method is empty, and says how many went.
	DeleteMemberMFAFactors(ctx context.Context, orgID, memberID int64, method string) (int64, error)

	// MembersMFAMethods lists the methods each of the given members has set
	// up (one entry per method), for Team Members.
	MembersMFAMethods(ctx context.Context, orgID int64, memberIDs []int64) (map[int64][]string, error)

	// LastMFAMethod is the method the member last signed in with ("" if none).
	LastMFAMethod(ctx context.Context, orgID, memberID int64) (string, error)
	SetLastMFAMethod(ctx context.Context, orgID, memberID int64, method string) error

	CreateTrustedDevice(ctx context.Context, d *TrustedDevice) error
	// TrustedDevice finds the member's device by its token hash: a token
	// of another member is not found.
	TrustedDevice(ctx context.Context, orgID, memberID int64, tokenHash []byte) (TrustedDevice, error)
	MemberTrustedDevices(ctx context.Context, orgID, memberID int64) ([]TrustedDevice, error)
	DeleteTrustedDevice(ctx context.Context, orgID, memberID, id int64) error
	DeleteMemberTrustedDevices(ctx context.Context, orgID, memberID int64) (int64, error)
}

// SecretsAtRest is what the start-up pass that seals stored secrets needs.
// Unlike every other query it crosses organisations: it serves the
// server's own maintenance, never a request.
type SecretsAtRest interface {
	// CountMFASecrets counts the factors of method, in every organisation,
	// whose secret starts with prefix.
	CountMFASecrets(ctx context.Context, method string, prefix []byte) (int64, error)
	// MFAFactorsNotStartingWith lists up to limit factors of method, in
	// every organisation, whose secret does not start with prefix and whose
	// ID is above afterID, by ID.
	MFAFactorsNotStartingWith(ctx context.Context, method string, prefix []byte, afterID int64, limit int) ([]MFAFactor, error)
	// MFAFactorsStartingWith is the same for the factors whose secret does
	// start with prefix.
	MFAFactorsStartingWith(ctx context.Context, method string, prefix []byte, afterID int64, limit int) ([]MFAFactor, error)
	// ReplaceMFASecret changes a factor's secret from old to secret;
	// ErrNotFound if it is no longer old (changed or removed meanwhile).
	ReplaceMFASecret(ctx context.Context, orgID, id int64, old, secret []byte) error
	// OneTimeCodesByDestinationPrefix lists the codes, in every
	// organisation, whose destination starts with prefix.
	OneTimeCodesByDestinationPrefix(ctx context.Context, prefix string) ([]OneTimeCode, error)
	// ReplaceOneTimeCodeDestination changes a code's destination from old
	// to destination; ErrNotFound if it is no longer old.
	ReplaceOneTimeCodeDestination(ctx context.Context, orgID, memberID int64, purpose, old, destination string) error
}

// SMSMessage is one text message in the outbox, like MailMessage.
type SMSMessage struct {
	ID            int64
	OrgID         int64
	To            string // E.164
	Body          string
	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time
	ClaimedUntil  time.Time
	Claim         string
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

// SMSOutbox stores text messages waiting for delivery, as Outbox does mail.
type SMSOutbox interface {
	EnqueueSMS(ctx context.Context, m *SMSMessage) error
	ClaimSMS(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]SMSMessage, error)
	RecordSMSOutcome(ctx context.Context, id int64, claim string, o MailOutcome) error
	// RecentSMS lists every organisation's messages, newest first: for the
	// development mailbox only.
	RecentSMS(ctx context.Context, limit int) ([]SMSMessage, error)
	// PruneSMS deletes sent and failed messages created before before, as
	// PruneMail does.
	PruneSMS(ctx context.Context, before time.Time) (int64, error)
}
