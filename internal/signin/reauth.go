package signin

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/password"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// The re-authentication page asks a signed-in member for their password
// before a sensitive action when their last authentication is older than
// session.ReauthAfter (session.Manager.RequireRecentAuth sends them here).
// It is throttled, locked and counted exactly like the sign-in page.

func (h *Handler) reauthPage(si store.SignedIn, returnTo string) web.ReauthPage {
	if returnTo == "" {
		returnTo = "/dashboard"
	}
	return web.ReauthPage{Layout: web.Layout{Member: web.MemberViewOf(si)}, ReturnTo: returnTo}
}

func (h *Handler) showReauth(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	h.Pages.Reauth(w, http.StatusOK, h.reauthPage(si, SafeReturnPath(r.URL.Query().Get("return_to"))))
}

func (h *Handler) submitReauth(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	page := h.reauthPage(si, SafeReturnPath(r.PostFormValue("return_to")))
	pw := r.PostFormValue("password")
	if pw == "" {
		page.Notice = web.Notice{Kind: "error", Text: "Enter your password."}
		h.Pages.Reauth(w, http.StatusBadRequest, page)
		return
	}
	if wait, limit, ok := h.Throttle.allow(r, si.Organisation.Name); !ok {
		h.throttled("reauthentication", limit)
		page.Notice = throttled(w, wait)
		h.Pages.Reauth(w, http.StatusTooManyRequests, page)
		return
	}
	next, err := h.verifyReauth(w, r, si, pw, page.ReturnTo)
	var locked *lockout.LockedError
	if errors.As(err, &locked) {
		page.Notice = web.LockedNotice(locked.Until, h.Now())
		h.Pages.Reauth(w, http.StatusLocked, page)
		return
	}
	switch {
	case errors.Is(err, password.ErrBusy):
		w.Header().Set("Retry-After", "2")
		page.Notice = web.Notice{Kind: "error", Text: "Sign-in is very busy right now. Please try again in a few seconds."}
		h.Pages.Reauth(w, http.StatusServiceUnavailable, page)
		return
	case errors.Is(err, errWrongCredentials):
		page.Notice = web.Notice{Kind: "error", Text: "That password is not right. Passwords are case-sensitive."}
		h.Pages.Reauth(w, http.StatusUnauthorized, page)
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, cmp.Or(next, page.ReturnTo), http.StatusSeeOther)
}

// verifyReauth counts the attempt, then checks the password. A member with
// a second factor then passes it (the sign-in's step, at the returned
// path), and the session is renewed when the step finishes; one without,
// at once: the session renewed, the count cleared and the
// re-authentication recorded in one transaction.
func (h *Handler) verifyReauth(w http.ResponseWriter, r *http.Request, si store.SignedIn, pw, returnTo string) (string, error) {
	ctx, o := r.Context(), audit.OriginOf(r)
	org := si.Organisation
	member, err := h.Store.MemberByID(ctx, org.ID, si.Member.ID) // the session carries no password hash
	if err != nil {
		return "", err
	}
	f := lockout.For(org, member, "re-authentication: wrong password")
	res, err := h.reserve(ctx, f, func() {
		h.appendAudit(ctx, h.auditFailure(o, org, member, member.Email, "re-authentication: account locked"))
	})
	if err != nil {
		return "", err
	}
	ok, _, err := h.Hasher.Verify(ctx, pw, member.PasswordHash)
	if err != nil {
		return "", errors.Join(err, h.Lockout.Release(ctx, res))
	}
	if !ok {
		return "", h.failed(ctx, o, f, res)
	}
	flow := &Flow{SigninFlow: store.SigninFlow{OrgID: org.ID, MemberID: member.ID, RememberMe: si.Session.Persistent,
		ReturnTo: returnTo, AMR: []string{"pwd"}, SessionID: si.Session.ID}, Organisation: org, Member: member}
	if next, err := h.startSecondFactor(w, r, flow); err != nil || next != "" {
		// The password proved right: its attempt is given back; failures
		// before it stay counted until the second factor passes.
		return next, errors.Join(err, h.Lockout.Release(ctx, res))
	}
	return "", h.Sessions.Reauthenticated(w, r, si, func(ctx context.Context) error {
		if err := h.Lockout.Succeeded(ctx, f.ID); err != nil {
			return err
		}
		e := audit.About(audit.Event(o, h.Now(), org.ID, audit.Reauthenticate), member)
		return h.Store.AppendAuditEvent(ctx, &e)
	})
}
