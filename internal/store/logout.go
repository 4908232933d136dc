package store

import (
	"context"
	"time"
)

// SessionPortal records that a portal received tokens from a session, so
// the portal can be told (back-channel logout) when the session ends.
type SessionPortal struct {
	OrgID     int64
	SessionID int64
	MemberID  int64
	ClientID  string
}

// LogoutMessage is one back-channel logout waiting for delivery: a row
// written in the same transaction as the session's end, delivered later by
// a worker, as email is. The logout token is made and signed at delivery
// from what the row names; JTI stays the same across retries.
type LogoutMessage struct {
	ID            int64
	OrgID         int64
	ClientID      string
	MemberID      int64
	SessionID     int64
	JTI           string
	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time
	ClaimedUntil  time.Time
	Claim         string
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

// Logouts stores which portals sessions signed in to and the back-channel
// logout outbox. Like the mail outbox, claiming spans organisations (one
// worker serves them all); everything else is scoped to one.
type Logouts interface {
	// RecordSessionPortal notes that clientID received tokens from the
	// session, until the session's absolute end; recording it again does
	// nothing. A session that is gone records nothing.
	RecordSessionPortal(ctx context.Context, orgID, sessionID int64, clientID string) error
	// TakeSessionPortals deletes and returns what the member's session
	// sessionID (0: every session of the member) signed in to.
	TakeSessionPortals(ctx context.Context, orgID, memberID, sessionID int64) ([]SessionPortal, error)
	EnqueueLogout(ctx context.Context, m *LogoutMessage) error
	// ClaimLogouts takes up to limit due messages until now+lease, as
	// ClaimMail does: two workers never hold one message at once.
	ClaimLogouts(ctx context.Context, claim string, now time.Time, lease time.Duration, limit int) ([]LogoutMessage, error)
	// RecordLogoutOutcome ends a claim; ErrNotFound when it has lapsed.
	RecordLogoutOutcome(ctx context.Context, id int64, claim string, o MailOutcome) error
	// OrganisationLogouts lists an organisation's messages, newest first.
	OrganisationLogouts(ctx context.Context, orgID int64, limit int) ([]LogoutMessage, error)
	// PruneLogouts deletes delivered and failed messages created before
	// before, in every organisation: housekeeping. Pending ones stay.
	PruneLogouts(ctx context.Context, before time.Time) (int64, error)
}
