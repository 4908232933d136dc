package registration

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"imslogin/internal/audit"
	"imslogin/internal/password"
	"imslogin/internal/store"
	"imslogin/internal/token"
	"imslogin/web"
)

func (h *Handler) passwordPage(raw string, org store.Organisation, m store.Member) web.SetPasswordPage {
	return web.SetPasswordPage{
		NewPassword: web.NewPassword{MinLength: password.ForOrganisation(h.Blocklist).Raised(org.Settings.PasswordMinLength).MinLength},
		Heading:     "Create an IMS Login Service account",
		Intro: "Choose the password you will sign in with. Your email address is verified by this link. Account: " +
			m.Email + " in " + org.Name + ".",
		Action: Step1Path, Token: raw, Email: m.Email, Button: "Create account and sign in",
	}
}

// loadForPassword checks a Step 1 link. A link already used sends the
// browser to the organisation's sign-in page: the account exists.
func (h *Handler) loadForPassword(w http.ResponseWriter, r *http.Request, raw string) (store.Organisation, store.Member, bool) {
	t, used, cause, err := h.check(r.Context(), raw)
	if h.failed(w, r, cause, err) {
		return store.Organisation{}, store.Member{}, false
	}
	org, m, err := h.memberOf(r.Context(), t)
	if h.failed(w, r, causeOf(err), errOf(err)) {
		return org, m, false
	}
	if used {
		web.SetFlash(w, "registration-used")
		http.Redirect(w, r, web.OrganisationSignInPath(org.URLName), http.StatusSeeOther)
		return org, m, false
	}
	return org, m, true
}

func (h *Handler) showPassword(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	if org, m, ok := h.loadForPassword(w, r, raw); ok {
		h.Pages.SetPassword(w, http.StatusOK, h.passwordPage(raw, org, m))
	}
}

// submitPassword completes Step 1: the member's IMS Login Service
// password is set (an identity at another login service is replaced) and
// the sign-in continues with its further steps.
func (h *Handler) submitPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw := r.PostFormValue("token")
	org, m, ok := h.loadForPassword(w, r, raw)
	if !ok {
		return
	}
	pw := r.PostFormValue("password")
	policy := password.ForOrganisation(h.Blocklist).Raised(org.Settings.PasswordMinLength)
	if err := policy.CheckNew(pw, r.PostFormValue("password_confirm"), password.Context{Email: m.Email, OrganisationName: org.Name}); err != nil {
		page := h.passwordPage(raw, org, m)
		if !page.Refuse(password.ProblemsByField(err)) {
			h.serverError(w, r, err)
			return
		}
		h.Pages.SetPassword(w, http.StatusBadRequest, page)
		return
	}
	hash, err := h.Hasher.Hash(ctx, pw)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	err = h.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := token.Redeem(ctx, h.Store, raw, store.LinkRegistration, h.Now()); err != nil {
			return err
		}
		return h.setPassword(ctx, r, org, &m, hash)
	})
	switch {
	case errors.Is(err, token.ErrExpired), errors.Is(err, token.ErrReplaced):
		h.linkError(w, causeExpired)
		return
	case errors.Is(err, token.ErrUsed):
		h.linkError(w, causeUsed)
		return
	case errors.Is(err, token.ErrInvalid):
		h.linkError(w, causeAltered)
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	h.SignIn(w, r, org, m, "registration-complete")
}

func (h *Handler) setPassword(ctx context.Context, r *http.Request, org store.Organisation, m *store.Member, hash string) error {
	detail := "linked IMS Login Service"
	if prev, err := h.Store.IdentityOfMember(ctx, org.ID, m.ID); err == nil {
		detail = "relinked from " + prev.Username + " to IMS Login Service"
		if err := h.Store.UnlinkIdentity(ctx, org.ID, m.ID); err != nil {
			return err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if m.Status == store.StatusInvited {
		if err := h.Store.AcceptInvitation(ctx, org.ID, m.ID, hash); err != nil {
			return err
		}
		m.Status, m.EmailVerified = store.StatusActive, true
	} else {
		if err := h.Store.SetPasswordHash(ctx, org.ID, m.ID, hash); err != nil {
			return err
		}
		if err := h.activate(ctx, m); err != nil {
			return err
		}
	}
	m.PasswordHash = hash
	e := audit.About(audit.Event(audit.OriginOf(r), h.Now(), org.ID, audit.AccountLink), *m)
	e.Detail = strings.TrimSpace(detail)
	return h.Store.AppendAuditEvent(ctx, &e)
}
