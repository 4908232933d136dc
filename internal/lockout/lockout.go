// Package lockout counts failed sign-ins per identifier (an email address
// within an organisation, or an organisation name that does not exist) in
// the database and locks the identifier when the count reaches the
// organisation's threshold. Counting is one atomic statement, so nodes
// sharing a database lock at exactly the threshold.
//
// An attempt is counted before its secret is checked (Reserve), and the
// count refuses it once the identifier is locked: however many guesses
// arrive at once, at most the threshold's worth is ever checked. A guess
// that proves right clears the count (Succeeded); one that proves wrong is
// recorded (Failed), and the one that locked also records the lockout and
// emails the member.
//
// The identifier is what was typed, not a member, so an address that is no
// member locks exactly like one that is, and "Account locked" tells nobody
// who is a member. While locked, every attempt gets the same answer without
// its password being checked. Wrong answers at later sign-in steps (email
// codes, second factors) are counted with Fail, against the same lock.
package lockout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"imslogin/internal/mail"
	"imslogin/internal/store"
)

// Forget is how long after the last failure the count starts again.
const Forget = 24 * time.Hour

// Policy is an organisation's lockout setting.
type Policy struct {
	Threshold int           // the failure that locks
	Duration  time.Duration // how long the lock lasts
}

// Bounds of the policy an organisation may choose.
const (
	MinThreshold = 1
	MaxThreshold = 100
	MinDuration  = time.Minute
	MaxDuration  = 1440 * time.Minute
)

// PolicyOf returns an organisation's policy.
func PolicyOf(s store.OrganisationSettings) Policy {
	return Policy{Threshold: s.LockoutThreshold, Duration: s.LockoutDuration}
}

// DefaultPolicy applies to organisation names that do not exist.
func DefaultPolicy() Policy { return PolicyOf(store.DefaultOrganisationSettings()) }

// Validate reports every way p is out of bounds.
func (p Policy) Validate() error {
	var errs []error
	if p.Threshold < MinThreshold || p.Threshold > MaxThreshold {
		errs = append(errs, fmt.Errorf("lockout threshold %d: want %d to %d failed attempts", p.Threshold, MinThreshold, MaxThreshold))
	}
	if p.Duration < MinDuration || p.Duration > MaxDuration || p.Duration%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("lockout duration %v: want whole minutes from 1 to 1440", p.Duration))
	}
	return errors.Join(errs...)
}

// Identifier is what failures are counted against.
type Identifier struct {
	OrgID int64
	Key   string
}

// Of is the identifier of an email address (normalised) in an organisation.
func Of(orgID int64, email string) Identifier { return Identifier{OrgID: orgID, Key: email} }

// OfUnknownOrganisation is the identifier of an email address with an
// organisation name that does not exist.
func OfUnknownOrganisation(name, email string) Identifier {
	return Identifier{OrgID: store.NoOrganisation, Key: strings.ToLower(strings.TrimSpace(name)) + "\n" + email}
}

// Store is what the guard reads and writes: the counts, and the audit log
// and outbox that record a failure in the same transaction.
type Store interface {
	store.Lockouts
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
	mail.Queue
	store.Transactor
}

// Guard checks and counts.
type Guard struct {
	Store Store
	Now   func() time.Time
	// Locked, if set, is called once for each lock an attempt sets (metrics).
	Locked func()
	// Logos places the organisation's logo in the lockout email.
	Logos mail.Logos
}

// LockedUntil returns when id's lock lifts, or the zero time if it is not
// locked.
func (g *Guard) LockedUntil(ctx context.Context, id Identifier) (time.Time, error) {
	l, err := g.Store.SigninLockout(ctx, id.OrgID, id.Key)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return g.Judge(l), nil
}

// Judge returns when a count read with the rest of a sign-in's subject
// (store.PasswordSubject) lifts its lock, or the zero time if it is not
// locked.
func (g *Guard) Judge(l store.Lockout) (lockedUntil time.Time) {
	if !l.Locked(g.Now()) {
		return time.Time{}
	}
	return l.LockedUntil
}

// Reservation is an attempt counted before its secret is checked.
type Reservation struct {
	ID       Identifier
	Failures int // the count with this attempt
	// Locks is set when this attempt's count set the lock: if its secret
	// proves wrong, it records the lockout and tells the member.
	Locks       bool
	LockedUntil time.Time
}

// LockedError refuses an attempt while its identifier is locked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "account locked until " + e.Until.UTC().Format(time.RFC3339)
}

// Reserve counts an attempt at id before its secret is checked: the
// reserve-then-check order is what keeps a burst of concurrent guesses from
// passing the threshold. While id is locked it returns a *LockedError and
// counts nothing. An attempt that proves right is forgotten by Succeeded;
// one that proves wrong is recorded by Failed.
func (g *Guard) Reserve(ctx context.Context, id Identifier, p Policy) (Reservation, error) {
	now := g.Now()
	l, reserved, err := g.Store.ReserveSigninAttempt(ctx, id.OrgID, id.Key,
		store.FailureRule{Now: now, Threshold: p.Threshold, LockFor: p.Duration, Forget: Forget})
	if err != nil {
		return Reservation{}, err
	}
	if !reserved {
		return Reservation{}, &LockedError{Until: l.LockedUntil}
	}
	res := Reservation{ID: id, Failures: l.Failures}
	if l.Locked(now) {
		res.Locks, res.LockedUntil = true, l.LockedUntil
	}
	return res, nil
}

// Release gives back a reservation whose secret was never checked (the
// hashing pool was busy), or proved right before the sign-in ended: the
// failures before it stay counted until the whole sign-in succeeds.
func (g *Guard) Release(ctx context.Context, res Reservation) error {
	return g.Store.ReleaseSigninAttempt(ctx, res.ID.OrgID, res.ID.Key, res.Locks)
}

// Succeeded forgets id's failures after a complete sign-in.
func (g *Guard) Succeeded(ctx context.Context, id Identifier) error {
	_, err := g.Store.ClearSigninLockout(ctx, id.OrgID, id.Key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// Unlock lifts id's lock and forgets its failures at once. It reports
// whether id was locked.
func (g *Guard) Unlock(ctx context.Context, id Identifier) (wasLocked bool, err error) {
	l, err := g.Store.ClearSigninLockout(ctx, id.OrgID, id.Key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return l.Locked(g.Now()), nil
}
