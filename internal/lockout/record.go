package lockout

import (
	"context"
	"fmt"
	"net/http"
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

// Record counts f and, for a real organisation, appends it to the audit
// log, all in one transaction. The failure that locks also records the
// lockout and queues the member's email in that transaction.
func (g *Guard) Record(r *http.Request, f Failure) (Result, error) {
	ctx := r.Context()
	var res Result
	err := g.Store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if res, err = g.Fail(ctx, f.ID, f.Policy); err != nil {
			return err
		}
		if f.Org.ID == 0 {
			return nil // no organisation's log to write to
		}
		e := g.FailureEvent(r, f.Org, f.Member, f.Email, f.Reason)
		if err := g.Store.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
		if !res.JustLocked {
			return nil
		}
		return g.recordLock(ctx, r, f, res)
	})
	return res, err
}

func (g *Guard) recordLock(ctx context.Context, r *http.Request, f Failure, res Result) error {
	e := g.FailureEvent(r, f.Org, f.Member, f.Email,
		fmt.Sprintf("%d failed attempts; locked until %s", res.Failures, res.LockedUntil.UTC().Format(time.RFC3339)))
	e.Kind = audit.Lockout
	if err := g.Store.AppendAuditEvent(ctx, &e); err != nil {
		return err
	}
	if f.Member.ID == 0 || !f.Org.Settings.NotifyMemberLockout {
		return nil // nobody to tell, or the organisation chose not to
	}
	return mail.Enqueue(ctx, g.Store, mail.Message{OrgID: f.Org.ID, To: f.Member.Email, Kind: mail.AccountLocked, At: g.Now(),
		Data: mail.Data{Organisation: f.Org.Name, Name: f.Member.Name, Extra: map[string]string{
			"attempts": strconv.Itoa(res.Failures),
			"until":    res.LockedUntil.UTC().Format("15:04 UTC on 2 Jan 2006"),
		}}})
}

// FailureEvent is a sign-in failure entry. The person who typed the email
// is not known to be its owner, so no actor is named.
func (g *Guard) FailureEvent(r *http.Request, org store.Organisation, m store.Member, email, reason string) store.AuditEvent {
	e := audit.Event(r, g.Now(), org.ID, audit.SigninFailure)
	e.MemberID, e.Email, e.Detail = m.ID, email, reason
	return e
}
