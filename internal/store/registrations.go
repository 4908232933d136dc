package store

import (
	"context"
	"time"
)

// Registration is a member registered for a portal by a Site
// Administrator: where the last registration email went, until when its
// link works, and from when the days until an unlinked profile's removal
// count.
type Registration struct {
	OrgID     int64
	MemberID  int64
	PortalID  int64 // 0 once the portal is deleted
	Email     string
	SentAt    time.Time
	ExpiresAt time.Time
	CountFrom time.Time
}

// Unlinked is a registered member with neither a password nor an
// identity at a login service, past their organisation's limit.
type Unlinked struct {
	Registration
	Member Member
}

// Registrations stores registrations. Every method is scoped by the
// organisation but UnlinkedPastLimit, the clean-up job's query.
type Registrations interface {
	// PutRegistration creates or replaces the member's registration.
	PutRegistration(ctx context.Context, r Registration) error
	RegistrationOf(ctx context.Context, orgID, memberID int64) (Registration, error)
	// RegistrationsOf lists the organisation's registrations by member.
	RegistrationsOf(ctx context.Context, orgID int64) ([]Registration, error)
	// ResetRemovalCount starts the member's count of days again at at.
	ResetRemovalCount(ctx context.Context, orgID, memberID int64, at time.Time) error
	// UnlinkedPastLimit lists, in every organisation, registered members
	// with no password and no identity whose count started more than their
	// organisation's "days until account removal" before now; at most limit.
	UnlinkedPastLimit(ctx context.Context, now time.Time, limit int) ([]Unlinked, error)
	// DeleteUnlinkedMember deletes the member only if they are still
	// registered, have no password and no identity, and their count started
	// before countedBefore; ErrNotFound otherwise.
	DeleteUnlinkedMember(ctx context.Context, orgID, memberID int64, countedBefore time.Time) error
}

// Jobs runs background jobs one node at a time.
type Jobs interface {
	// RunExclusive runs fn unless another node runs the job named now, and
	// reports whether it ran. PostgreSQL holds an advisory lock while fn
	// runs; SQLite a lease row, which lapses after lease should the node
	// stop without giving it back.
	RunExclusive(ctx context.Context, name string, lease time.Duration, now time.Time, fn func(ctx context.Context) error) (bool, error)
}
