// Package profile serves My Profile: name, about me and profile picture,
// Change Password, and the pictures themselves to signed-in members of the
// same organisation.
package profile

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/linkmail"
	"imslogin/internal/lockout"
	"imslogin/internal/mfa"
	"imslogin/internal/mfa/backup"
	"imslogin/internal/mfa/code"
	"imslogin/internal/mfa/webauthn"
	"imslogin/internal/password"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// Store is what My Profile reads and writes: the member's details,
// password and sessions, their second factors and remembered browsers,
// and the audit log and outbox that record each change.
type Store interface {
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	SetPasswordHash(ctx context.Context, orgID, memberID int64, hash string) error
	EndMemberLinkTokens(ctx context.Context, orgID, memberID int64, now time.Time) error
	RoleByID(ctx context.Context, orgID, id int64) (store.CustomRole, error)
	UpdateProfile(ctx context.Context, orgID, memberID int64, name, aboutMe string) error
	SetPicture(ctx context.Context, orgID, memberID int64, p store.Picture) error
	Picture(ctx context.Context, orgID, memberID int64) (store.Picture, error)
	DeleteMemberSessions(ctx context.Context, orgID, memberID int64) error
	mfa.FactorReader
	MemberMFAFactors(ctx context.Context, orgID, memberID int64) ([]store.MFAFactor, error)
	DeleteMFAFactor(ctx context.Context, orgID, memberID, id int64) error
	MemberTrustedDevices(ctx context.Context, orgID, memberID int64) ([]store.TrustedDevice, error)
	DeleteTrustedDevice(ctx context.Context, orgID, memberID, id int64) error
	DeleteMemberTrustedDevices(ctx context.Context, orgID, memberID int64) (int64, error)
	webauthn.Store
	backup.Codes
	code.SMSStore
	code.Phones
	linkmail.Outbox
	audit.Log
}

// Handler serves the signed-in member's own pages.
type Handler struct {
	Store     Store
	Hasher    *password.Hasher
	Sessions  *session.Manager
	Pages     *web.Renderer
	Links     *linkmail.Sender
	Blocklist password.Blocklist
	Lockout   *lockout.Guard // a wrong current password counts towards the lockout
	Log       *slog.Logger
	Now       func() time.Time
}

// Mount registers the handler's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET /profile/password", h.Sessions.RequireSignIn(http.HandlerFunc(h.showChange)))
	mux.Handle("POST /profile/password", h.Sessions.RequireSignIn(http.HandlerFunc(h.submitChange)))
	h.mountDetails(mux)
}

func (h *Handler) page(si store.SignedIn) web.ChangePasswordPage {
	return web.ChangePasswordPage{
		Layout:      web.Layout{Member: web.MemberViewOf(si)},
		NewPassword: web.NewPassword{MinLength: password.ForOrganisation(h.Blocklist).Raised(si.Organisation.Settings.PasswordMinLength).MinLength},
	}
}

func (h *Handler) showChange(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	h.Pages.ChangePassword(w, http.StatusOK, h.page(si))
}

// submitChange checks the current password, then sets the new one, ends
// every other session and sends a notice, all in one transaction; this
// browser gets a fresh session.
func (h *Handler) submitChange(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	org, m := si.Organisation, si.Member
	pw := r.PostFormValue("password")
	withHash, err := h.Store.MemberByID(ctx, org.ID, m.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	// The attempt is counted before the current password is checked, so a
	// burst of guesses gets no more checked than the lockout allows.
	failure := lockout.For(org, m, "change password: wrong current password")
	res, err := h.Lockout.Reserve(ctx, failure.ID, failure.Policy)
	if h.refused(w, r, si, err) {
		return
	}
	ok, _, err := h.Hasher.Verify(ctx, r.PostFormValue("current_password"), withHash.PasswordHash)
	if err != nil {
		h.serverError(w, r, errors.Join(err, h.Lockout.Release(ctx, res)))
		return
	}
	var wrongCurrent []string
	if !ok {
		if h.refused(w, r, si, h.Lockout.Failed(ctx, audit.OriginOf(r), failure, res)) {
			return
		}
		wrongCurrent = []string{"your current password is not correct"}
	}
	err = password.ForOrganisation(h.Blocklist).Raised(org.Settings.PasswordMinLength).CheckNew(pw, r.PostFormValue("password_confirm"),
		password.Context{Email: m.Email, OrganisationName: org.Name})
	if err != nil && password.Problems(err) == nil {
		h.serverError(w, r, err)
		return
	}
	newProblems, confirmProblems := password.ProblemsByField(err)
	if ok && err != nil { // the current password was right: its attempt is given back
		if err := h.Lockout.Release(ctx, res); err != nil {
			h.Log.Warn("give back a password attempt", "err", err)
		}
	}
	if !ok || err != nil {
		page := h.page(si)
		s := password.Estimate(pw, m.Email, m.Name, org.Name)
		page.Strength = &web.StrengthView{Score: s.Score, Label: s.Label, CrackTime: s.CrackTime, Feedback: s.Feedback}
		page.Errors = web.PasswordErrors(wrongCurrent, newProblems, confirmProblems)
		page.Notice = web.Notice{Kind: "error", Text: "Your password was not changed. Check the fields marked below."}
		h.Pages.ChangePassword(w, http.StatusBadRequest, page)
		return
	}
	hash, err := h.Hasher.Hash(ctx, pw)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	err = h.Store.InTx(ctx, func(ctx context.Context) error {
		if err := h.Store.SetPasswordHash(ctx, org.ID, m.ID, hash); err != nil {
			return err
		}
		// A reset link asked for before the change must not undo it.
		if err := h.Store.EndMemberLinkTokens(ctx, org.ID, m.ID, h.Now()); err != nil {
			return err
		}
		if err := h.Store.DeleteMemberSessions(ctx, org.ID, m.ID); err != nil {
			return err
		}
		// Every session ends, and every token, offline ones too, as after a
		// reset: whoever knew the old password may hold them. A new session
		// starts on this browser below.
		if err := session.Notify(ctx, h.Sessions.Hook(), session.Ended{OrgID: org.ID, MemberID: m.ID, Everything: true}); err != nil {
			return err
		}
		if err := h.Lockout.Succeeded(ctx, lockout.Of(org.ID, m.Email)); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), org.ID, audit.PasswordChange), m)
		if err := h.Store.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
		if err := h.Links.PasswordChanged(ctx, h.Store, org, m, "changed"); err != nil {
			return err
		}
		// This browser's new session is part of the change: a failure
		// leaves the old password, not a changed one answered as an error.
		_, err := h.Sessions.Start(w, r.WithContext(ctx), org, m, si.Session.Persistent)
		return err
	})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.Log.Info("password changed", "organisation", org.Name, "member", m.ID, "address", session.ClientAddress(r))
	web.SetFlash(w, "password-changed")
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// refuseIfLocked answers "Account locked" while the member's sign-in is
// locked: the current password is not even checked then.
// refused answers err, if any: "Account locked" for a *lockout.LockedError,
// else a server error. It reports whether it answered.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, si store.SignedIn, err error) bool {
	var locked *lockout.LockedError
	switch {
	case errors.As(err, &locked):
		h.locked(w, si, locked.Until)
	case err != nil:
		h.serverError(w, r, err)
	default:
		return false
	}
	return true
}

func (h *Handler) locked(w http.ResponseWriter, si store.SignedIn, until time.Time) {
	page := h.page(si)
	page.Notice = web.LockedNotice(until, h.Now())
	h.Pages.ChangePassword(w, http.StatusLocked, page)
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, password.ErrBusy) {
		w.Header().Set("Retry-After", "2")
		h.Pages.Error(w, http.StatusServiceUnavailable, web.ErrorPage{Heading: "Busy",
			Message: "The service is very busy right now. Go back and send the form again in a few seconds."})
		return
	}
	h.Log.Error("profile", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete this because of a problem on our side. Please try again in a moment."})
}
