package recovery

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"imslogin/internal/audit"
	"imslogin/internal/password"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/internal/token"
	"imslogin/web"
)

// linkForm is one kind of emailed link and the page it opens.
type linkForm struct {
	purpose               store.LinkPurpose
	path                  string
	heading, intro, label string
	// apply makes the change inside the transaction that uses the link.
	apply func(ctx context.Context, org store.Organisation, m store.Member, hash string) error
	// done answers the browser once the change is committed.
	done func(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member)
	// auditKind is the audit log entry written with the change.
	auditKind string
}

func (h *Handler) resetForm() linkForm {
	return linkForm{
		purpose: store.LinkReset, path: "/reset-password", heading: "Reset your password", label: "Reset password",
		auditKind: audit.PasswordReset,
		intro:     "Choose a new password. You will be signed out everywhere and can then sign in with it.",
		apply: func(ctx context.Context, org store.Organisation, m store.Member, hash string) error {
			if err := h.Store.SetPasswordHash(ctx, org.ID, m.ID, hash); err != nil {
				return err
			}
			// Any other link out (an invitation) was sent for the old password.
			if err := h.Store.EndMemberLinkTokens(ctx, org.ID, m.ID, h.Now()); err != nil {
				return err
			}
			if err := h.Store.DeleteMemberSessions(ctx, org.ID, m.ID); err != nil {
				return err
			}
			if err := session.Notify(ctx, h.Ended, session.Ended{OrgID: org.ID, MemberID: m.ID, Everything: true}); err != nil {
				return err
			}
			// Proving control of the email lifts a sign-in lock, as the lockout email says.
			if _, err := h.Store.ClearSigninLockout(ctx, org.ID, m.Email); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return h.Links.PasswordChanged(ctx, h.Store, org, m, "reset")
		},
		done: func(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member) {
			h.Log.Info("password reset", "organisation", org.Name, "member", m.ID)
			web.SetFlash(w, "password-reset")
			http.Redirect(w, r, "/login?organisation="+url.QueryEscape(org.Name), http.StatusSeeOther)
		},
	}
}

func (h *Handler) invitationForm() linkForm {
	return linkForm{
		purpose: store.LinkInvitation, path: "/invitation", heading: "Set up your account", label: "Set password and sign in",
		auditKind: audit.InvitationAccept,
		intro:     "Your email address is verified by this link. Choose the password you will sign in with.",
		apply: func(ctx context.Context, org store.Organisation, m store.Member, hash string) error {
			if err := h.Store.AcceptInvitation(ctx, org.ID, m.ID, hash); err != nil {
				return err
			}
			return h.Store.EndMemberLinkTokens(ctx, org.ID, m.ID, h.Now())
		},
		done: func(w http.ResponseWriter, r *http.Request, org store.Organisation, m store.Member) {
			h.Log.Info("invitation accepted", "organisation", org.Name, "member", m.ID)
			m.Status, m.EmailVerified = store.StatusActive, true
			if !m.Licensed {
				http.Redirect(w, r, "/login?organisation="+url.QueryEscape(org.Name), http.StatusSeeOther)
				return
			}
			h.SignIn(w, r, org, m, "invitation-accepted")
		},
	}
}

func (h *Handler) showReset(w http.ResponseWriter, r *http.Request) { h.show(w, r, h.resetForm()) }
func (h *Handler) submitReset(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, h.resetForm())
}
func (h *Handler) showInvitation(w http.ResponseWriter, r *http.Request) {
	h.show(w, r, h.invitationForm())
}
func (h *Handler) submitInvitation(w http.ResponseWriter, r *http.Request) {
	h.submit(w, r, h.invitationForm())
}

// load checks the link without using it and finds its member.
func (h *Handler) load(ctx context.Context, raw string, f linkForm) (store.Organisation, store.Member, error) {
	t, err := token.Check(ctx, h.Store, raw, f.purpose, h.Now())
	if err != nil {
		return store.Organisation{}, store.Member{}, err
	}
	org, err := h.Store.OrganisationByID(ctx, t.OrgID)
	if err != nil {
		return org, store.Member{}, err
	}
	m, err := h.Store.MemberByID(ctx, t.OrgID, t.MemberID)
	if errors.Is(err, store.ErrNotFound) {
		return org, m, token.ErrInvalid
	}
	return org, m, err
}

func (h *Handler) page(f linkForm, raw string, org store.Organisation, m store.Member) web.SetPasswordPage {
	return web.SetPasswordPage{
		NewPassword: web.NewPassword{MinLength: password.ForOrganisation(h.Blocklist).Raised(org.Settings.PasswordMinLength).MinLength},
		Heading:     f.heading, Intro: f.intro + " Account: " + m.Email + " in " + org.Name + ".",
		Action: f.path, Token: raw, Email: m.Email, Button: f.label,
	}
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, f linkForm) {
	raw := r.URL.Query().Get("token")
	org, m, err := h.load(r.Context(), raw, f)
	if err != nil {
		h.linkError(w, r, f, err)
		return
	}
	h.Pages.SetPassword(w, http.StatusOK, h.page(f, raw, org, m))
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request, f linkForm) {
	ctx := r.Context()
	raw := r.PostFormValue("token")
	org, m, err := h.load(ctx, raw, f)
	if err != nil {
		h.linkError(w, r, f, err)
		return
	}
	pw := r.PostFormValue("password")
	policy := password.ForOrganisation(h.Blocklist).Raised(org.Settings.PasswordMinLength)
	if err := policy.CheckNew(pw, r.PostFormValue("password_confirm"), password.Context{Email: m.Email, OrganisationName: org.Name}); err != nil {
		page := h.page(f, raw, org, m)
		if !page.Refuse(password.ProblemsByField(err)) {
			h.serverError(w, r, err)
			return
		}
		page.Strength = strengthView(pw, m.Email, m.Name, org.Name)
		h.Pages.SetPassword(w, http.StatusBadRequest, page)
		return
	}
	hash, err := h.Hasher.Hash(ctx, pw)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	err = h.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := token.Redeem(ctx, h.Store, raw, f.purpose, h.Now()); err != nil {
			return err
		}
		if err := f.apply(ctx, org, m, hash); err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), org.ID, f.auditKind), m)
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) { // the invitation was accepted some other way
			err = token.ErrUsed
		}
		h.linkError(w, r, f, err)
		return
	}
	f.done(w, r, org, m)
}

// linkError explains why a link does not work, each reason in its own words.
func (h *Handler) linkError(w http.ResponseWriter, r *http.Request, f linkForm, err error) {
	again := "Use “Forgot password?” on the sign-in page to get a new link."
	if f.purpose == store.LinkInvitation {
		again = "Ask your organisation's administrator to send a new invitation, or use “Forgot password?” on the sign-in page to get one."
	}
	page := web.ErrorPage{Heading: "This link doesn't work"}
	status := http.StatusGone
	switch {
	case errors.Is(err, token.ErrExpired):
		page.Message = "This link has expired. " + again
	case errors.Is(err, token.ErrUsed):
		page.Message = "This link was already used: each link works only once. If you set your password with it, sign in with that password. " + again
	case errors.Is(err, token.ErrReplaced):
		page.Message = "A newer email was sent after this one, and only the link in the most recent email works. Open that one."
	case errors.Is(err, token.ErrRevoked):
		page.Message = "Your email address or password changed after this link was sent, so it no longer works. " + again
	case errors.Is(err, token.ErrInvalid):
		status = http.StatusNotFound
		page.Message = "This link is not valid. Check that you opened or copied the whole link from the email. " + again
	default:
		h.serverError(w, r, err)
		return
	}
	h.Pages.Error(w, status, page)
}
