package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/mail"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/internal/throttle"
	"imslogin/web"
)

// Throttle limits password attempts per client address and per
// organisation name (as typed, so unknown names are limited too). It is
// checked before any password is hashed. A nil Throttle limits nothing.
type Throttle struct {
	Address      *throttle.Limiter
	Organisation *throttle.Limiter
}

// allow takes a token from the address's bucket, then the organisation's.
func (t *Throttle) allow(r *http.Request, organisation string) (time.Duration, bool) {
	if t == nil {
		return 0, true
	}
	if ok, wait := t.Address.Allow(throttle.AddressKey(session.ClientAddress(r))); !ok {
		return wait, false
	}
	if organisation == "" {
		return 0, true
	}
	ok, wait := t.Organisation.Allow(strings.ToLower(strings.TrimSpace(organisation)))
	return wait, ok
}

// throttled answers a throttled attempt: a Retry-After header and the
// notice for a 429 page, before any database or hashing work.
func throttled(w http.ResponseWriter, wait time.Duration) web.Notice {
	secs := throttle.RetryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return web.Notice{Kind: "error",
		Text: fmt.Sprintf("Too many sign-in attempts. Please wait %s and try again.", inWords(time.Duration(secs)*time.Second))}
}

// lockedError means the identifier is locked until Until.
type lockedError struct{ Until time.Time }

func (e *lockedError) Error() string { return "account locked until " + e.Until.String() }

// lockedNotice is the one answer during a lock, for right and wrong
// passwords and for members and non-members alike.
func lockedNotice(until, now time.Time) web.Notice {
	return web.Notice{Kind: "error",
		Text: "Account locked. There were too many failed sign-in attempts.",
		Items: []string{
			fmt.Sprintf("You can try again after %s (in %s).", until.UTC().Format("15:04 UTC on 2 Jan 2006"), inWords(until.Sub(now))),
			"Your organisation's administrator can unlock your account sooner.",
		}}
}

// inWords says a duration the way a person would, rounded up.
func inWords(d time.Duration) string {
	switch {
	case d <= time.Minute:
		s := max(1, int((d+time.Second-1)/time.Second))
		return plural(s, "second")
	case d < 2*time.Hour:
		return plural(int((d+time.Minute-1)/time.Minute), "minute")
	}
	return plural(int((d+time.Hour-1)/time.Hour), "hour")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// failure is a failed password (or later step) to count and record.
type failure struct {
	id     lockout.Identifier
	policy lockout.Policy
	org    store.Organisation // zero for an organisation name that does not exist
	member store.Member       // zero when the email is no member's
	email  string
	reason string
}

// recordFailure counts the failure and, for a real organisation, appends
// it to the audit log, all in one transaction; the failure that locks also
// records the lockout and queues the member's email. It returns
// errWrongCredentials, or a *lockedError when the identifier is now locked.
func (h *Handler) recordFailure(r *http.Request, f failure) error {
	ctx := r.Context()
	var res lockout.Result
	err := h.Store.InTx(ctx, func(tx store.Store) error {
		var err error
		if res, err = h.Lockout.Fail(ctx, tx, f.id, f.policy); err != nil {
			return err
		}
		if f.org.ID == 0 {
			return nil
		}
		e := h.auditFailure(r, f.org, f.member, f.email, f.reason)
		if err := tx.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
		if !res.JustLocked {
			return nil
		}
		return h.recordLock(ctx, r, tx, f, res)
	})
	if err != nil {
		return err
	}
	if !res.LockedUntil.IsZero() {
		return &lockedError{Until: res.LockedUntil}
	}
	return errWrongCredentials
}

func (h *Handler) recordLock(ctx context.Context, r *http.Request, tx store.Store, f failure, res lockout.Result) error {
	e := h.auditFailure(r, f.org, f.member, f.email,
		fmt.Sprintf("%d failed attempts; locked until %s", res.Failures, res.LockedUntil.UTC().Format(time.RFC3339)))
	e.Kind = audit.Lockout
	if err := tx.AppendAuditEvent(ctx, &e); err != nil {
		return err
	}
	if f.member.ID == 0 {
		return nil // nobody to tell: the address is no member's
	}
	return mail.Enqueue(ctx, tx, mail.Message{OrgID: f.org.ID, To: f.member.Email, Kind: mail.AccountLocked, At: h.Now(),
		Data: mail.Data{Organisation: f.org.Name, Name: f.member.Name, Extra: map[string]string{
			"attempts": strconv.Itoa(res.Failures),
			"until":    res.LockedUntil.UTC().Format("15:04 UTC on 2 Jan 2006"),
		}}})
}

// auditFailure is a sign-in failure entry. The person who typed the email
// is not known to be its owner, so no actor is named.
func (h *Handler) auditFailure(r *http.Request, org store.Organisation, m store.Member, email, reason string) store.AuditEvent {
	e := audit.Event(r, h.Now(), org.ID, audit.SigninFailure)
	e.MemberID, e.Email, e.Detail = m.ID, email, reason
	return e
}

// appendAudit writes an entry that records no other change.
func (h *Handler) appendAudit(ctx context.Context, e store.AuditEvent) {
	if err := h.Store.AppendAuditEvent(ctx, &e); err != nil {
		h.Log.Error("audit", "kind", e.Kind, "err", err)
	}
}

// asLocked finds a *lockedError in err.
func asLocked(err error) (*lockedError, bool) {
	var le *lockedError
	ok := errors.As(err, &le)
	return le, ok
}
