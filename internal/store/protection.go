package store

import (
	"context"
	"time"
)

// NoOrganisation is the organisation ID under which failed sign-ins for an
// organisation name that does not exist are counted, so such names lock
// exactly like real ones and the lock reveals nothing.
const NoOrganisation int64 = 0

// Lockout is the failed sign-in count of one identifier (an email address
// within an organisation) and the lock it led to, if any.
type Lockout struct {
	OrgID         int64
	Identifier    string
	Failures      int // failed attempts in a row
	LastFailureAt time.Time
	LockedUntil   time.Time // zero, or when the lock lifts (it may have lifted already)
}

// Locked reports whether the identifier is locked at now.
func (l Lockout) Locked(now time.Time) bool { return now.Before(l.LockedUntil) }

// FailureRule is how one more failure is counted.
type FailureRule struct {
	Now       time.Time
	Threshold int           // the failure that locks
	LockFor   time.Duration // how long the lock lasts
	// Forget is how long after the last failure the count starts again.
	Forget time.Duration
}

// Lockouts stores failed sign-in counts. Every change is one atomic
// statement, so counts are exact across several nodes sharing a database.
type Lockouts interface {
	// ReserveSigninAttempt counts an attempt as a failure before its
	// secret is checked, and locks the identifier when the count reaches
	// the threshold, in one atomic statement; it returns the row as that
	// statement left it and reserved true. While the identifier is locked
	// nothing changes: it returns the row and reserved false. So of any
	// number of concurrent attempts exactly Threshold are reserved before
	// the lock refuses the rest. A count whose lock has lifted, or whose
	// last failure is older than Forget, starts again at one. An attempt
	// that proves right clears the count (ClearSigninLockout).
	ReserveSigninAttempt(ctx context.Context, orgID int64, identifier string, rule FailureRule) (l Lockout, reserved bool, err error)
	// ReleaseSigninAttempt gives back one reserved attempt whose secret
	// was not found wrong, lifting the lock too when that attempt set it;
	// earlier failures stay counted.
	ReleaseSigninAttempt(ctx context.Context, orgID int64, identifier string, lockedByIt bool) error
	// TouchSigninLockout rewrites the identifier's count as it is (a write
	// that changes nothing), or does nothing when there is none: a failure
	// that has no audit log to go to (an organisation name that does not
	// exist) does the writes an organisation's entries would.
	TouchSigninLockout(ctx context.Context, orgID int64, identifier string) error
	// SigninLockout returns the identifier's count, or ErrNotFound.
	SigninLockout(ctx context.Context, orgID int64, identifier string) (Lockout, error)
	// ClearSigninLockout deletes the count and any lock, returning what it
	// held, or ErrNotFound when there was none.
	ClearSigninLockout(ctx context.Context, orgID int64, identifier string) (Lockout, error)
	// PruneSigninLockouts deletes counts whose last failure is before
	// before and whose lock, if any, has lifted by then, in every
	// organisation: housekeeping, not a member-facing action.
	PruneSigninLockouts(ctx context.Context, before time.Time) (int64, error)
	// PasswordSubject reads in one statement what a password sign-in
	// checks before the hash: the organisation by name (ignoring letter
	// case), its member with the email, if any, and the failures counted
	// against lockoutIdentifier in it, if any. ErrNotFound if no
	// organisation has the name.
	PasswordSubject(ctx context.Context, orgName, email, lockoutIdentifier string) (PasswordSubject, error)
}

// PasswordSubject is what a password sign-in checks before the hash.
type PasswordSubject struct {
	Organisation Organisation
	Member       Member // zero ID: no member has the email
	Lockout      Lockout
	Counted      bool // failures are on record (Lockout holds them)
}
