package lockout

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/mail"
	"imslogin/internal/store"
)

// Failure is one failed attempt to prove who one is: a wrong password at
// sign-in, at re-authentication or when changing the password, or (later)
// a wrong code.
type Failure struct {
	ID     Identifier
	Policy Policy
	Org    store.Organisation // zero for an organisation name that does not exist
	Member store.Member       // zero when the email is no member's
	Email  string             // as typed, normalised
	Reason string             // for the audit log: "wrong password"…
}

// For is the failure of a member of org, counted under their email.
func For(org store.Organisation, m store.Member, reason string) Failure {
	return Failure{ID: Of(org.ID, m.Email), Policy: PolicyOf(org.Settings), Org: org, Member: m, Email: m.Email, Reason: reason}
}

// Failed records an attempt whose secret proved wrong, after Reserve
// counted it: for a real organisation the audit entry and, when this
// attempt locked, the lockout entry and the member's email, in one
// transaction. It returns a *LockedError when the identifier is locked now.
func (g *Guard) Failed(ctx context.Context, o audit.Origin, f Failure, res Reservation) error {
	if f.Org.ID != 0 {
		err := g.Store.InTx(ctx, func(ctx context.Context) error {
			e := g.FailureEvent(o, f.Org, f.Member, f.Email, f.Reason)
			if err := g.Store.AppendAuditEvent(ctx, &e); err != nil {
				return err
			}
			if !res.Locks {
				return nil
			}
			return g.recordLock(ctx, o, f, res)
		})
		if err != nil {
			return err
		}
	} else if err := g.mirror(ctx, f, res); err != nil {
		return err
	}
	if res.Locks {
		if g.Locked != nil {
			g.Locked()
		}
		return &LockedError{Until: res.LockedUntil}
	}
	return nil
}

// mirror does, for an organisation name that does not exist, the writes a
// real organisation's failure makes (its audit entry and, when it locks,
// the lockout entry) in a transaction of the same shape, as rewrites of the
// count: the answer then costs what an organisation with default settings
// answers for an address that is no member's, so the time taken does not
// tell that the name exists.
func (g *Guard) mirror(ctx context.Context, f Failure, res Reservation) error {
	return g.Store.InTx(ctx, func(ctx context.Context) error {
		if err := g.Store.TouchSigninLockout(ctx, f.ID.OrgID, f.ID.Key); err != nil {
			return err
		}
		if !res.Locks {
			return nil
		}
		return g.Store.TouchSigninLockout(ctx, f.ID.OrgID, f.ID.Key)
	})
}

// Fail counts and records a wrong answer that was checked without a
// reservation of its own (a later sign-in step's, bounded by the flow's
// attempts): Reserve, then Failed. It returns a *LockedError when the
// identifier is locked now.
func (g *Guard) Fail(ctx context.Context, o audit.Origin, f Failure) error {
	res, err := g.Reserve(ctx, f.ID, f.Policy)
	if err != nil {
		return err
	}
	return g.Failed(ctx, o, f, res)
}

func (g *Guard) recordLock(ctx context.Context, o audit.Origin, f Failure, res Reservation) error {
	e := g.FailureEvent(o, f.Org, f.Member, f.Email,
		fmt.Sprintf("%d failed attempts; locked until %s", res.Failures, res.LockedUntil.UTC().Format(time.RFC3339)))
	e.Kind = audit.Lockout
	if err := g.Store.AppendAuditEvent(ctx, &e); err != nil {
		return err
	}
	if f.Member.ID == 0 || !f.Org.Settings.NotifyMemberLockout {
		return nil // nobody to tell, or the organisation chose not to
	}
	return mail.Enqueue(ctx, g.Store, mail.Message{OrgID: f.Org.ID, To: f.Member.Email, Kind: mail.AccountLocked, At: g.Now(),
		Data: mail.Data{Organisation: f.Org.Name, Name: f.Member.Name, LogoURL: g.Logos.For(f.Org), Extra: map[string]string{
			"attempts": strconv.Itoa(res.Failures),
			"until":    res.LockedUntil.UTC().Format("15:04 UTC on 2 Jan 2006"),
		}}})
}

// FailureEvent is a sign-in failure entry. The person who typed the email
// is not known to be its owner, so no actor is named.
func (g *Guard) FailureEvent(o audit.Origin, org store.Organisation, m store.Member, email, reason string) store.AuditEvent {
	e := audit.Event(o, g.Now(), org.ID, audit.SigninFailure)
	e.MemberID, e.Email, e.Detail = m.ID, email, reason
	return e
}
