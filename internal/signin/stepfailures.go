package signin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"imslogin/internal/lockout"
	"imslogin/internal/store"
	"imslogin/web"
)

type requestKey struct{}

// RequestOf returns the request a step's Needed is asked for (a step may
// look at the browser's cookies, as trusted devices do), or nil.
func RequestOf(ctx context.Context) *http.Request {
	r, _ := ctx.Value(requestKey{}).(*http.Request)
	return r
}

// CountFailure counts one wrong answer at a step (a code) against the
// member's account lockout, exactly like a wrong password, and audits it
// with reason, without ending the flow (Fail ends it). It returns when the
// account's lock lifts if it is now locked; the step then calls EndLocked.
func (f *Flow) CountFailure(reason string) (lockedUntil time.Time, err error) {
	if f.fail == nil {
		return time.Time{}, errors.New("signin: flow has no failure counter")
	}
	return f.fail(reason)
}

// LockedUntil returns when the member's lock lifts, or the zero time.
func (f *Flow) LockedUntil() (time.Time, error) {
	if f.lockedUntil == nil {
		return time.Time{}, nil
	}
	return f.lockedUntil()
}

// bindFailures connects the flow to the lockout counter of its member.
func (h *Handler) bindFailures(r *http.Request, f *Flow) {
	if h.Lockout == nil {
		return
	}
	id := lockout.Of(f.OrgID, f.Member.Email)
	f.lockedUntil = func() (time.Time, error) { return h.Lockout.LockedUntil(r.Context(), id) }
	f.endLocked = func(w http.ResponseWriter, until time.Time) { h.endLocked(w, r, f, until, nil) }
	f.fail = func(reason string) (time.Time, error) {
		err := h.recordFailure(r, lockout.For(f.Organisation, f.Member, reason))
		if locked, ok := asLocked(err); ok {
			return locked.Until, nil
		}
		if errors.Is(err, errWrongCredentials) {
			return time.Time{}, nil
		}
		return time.Time{}, err
	}
}

// endLocked ends a flow whose member is locked: every step answers
// "Account locked" until the lock lifts, whatever was typed.
func (h *Handler) endLocked(w http.ResponseWriter, r *http.Request, f *Flow, until time.Time, err error) {
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.Store.DeleteSigninFlow(r.Context(), f.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.Log.Warn("end locked sign-in", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Path: "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	h.Pages.Login(w, http.StatusLocked, web.LoginPage{Layout: web.Layout{Notice: web.LockedNotice(until, h.Now())},
		Organisation: f.Organisation.Name, Email: f.Member.Email})
}

// EndLocked answers "Account locked" and ends the flow: a step calls it
// when Fail reports that the wrong answer locked the account.
func (f *Flow) EndLocked(w http.ResponseWriter, until time.Time) {
	if f.endLocked != nil {
		f.endLocked(w, until)
	}
}
