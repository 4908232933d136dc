package emailverify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"imslogin/internal/mail"
	"imslogin/internal/membership"
	"imslogin/internal/otpcode"
	"imslogin/internal/session"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/internal/throttle"
	"imslogin/web"
)

// ProfilePath is My Profile → Email Address.
const ProfilePath = "/profile/email"

// ChangeHandler serves My Profile → Email Address: verify the current
// address, or change it to a new one proved by a code.
type ChangeHandler struct {
	Store    Store
	Sessions *session.Manager
	Codes    *otpcode.Issuer
	Pages    *web.Renderer
	Log      *slog.Logger
	// Logos places the organisation's logo in the emails.
	Logos mail.Logos
}

// Mount registers the handler's routes.
func (h *ChangeHandler) Mount(mux *http.ServeMux) {
	mux.Handle("GET "+ProfilePath, h.Sessions.RequireSignIn(http.HandlerFunc(h.show)))
	mux.Handle("POST "+ProfilePath, h.Sessions.RequireSignIn(http.HandlerFunc(h.submit)))
}

// pending is the code waiting on the page: a change of address first,
// else a code to the current address.
func (h *ChangeHandler) pending(ctx context.Context, si store.SignedIn) (store.OneTimeCode, bool) {
	for _, purpose := range []string{PurposeChange, PurposeVerify} {
		c, err := h.Codes.Pending(ctx, h.Store, si.Organisation.ID, si.Member.ID, purpose)
		if err == nil && (purpose == PurposeChange || c.Destination == si.Member.Email) {
			return c, true
		}
	}
	return store.OneTimeCode{}, false
}

func (h *ChangeHandler) page(r *http.Request, si store.SignedIn, n web.Notice) web.EmailAddressPage {
	p := web.EmailAddressPage{Layout: web.Layout{Notice: n, Member: web.MemberViewOf(si)},
		Email: si.Member.Email, Verified: si.Member.EmailVerified}
	if c, ok := h.pending(r.Context(), si); ok {
		p.Pending = c.Destination
	}
	return p
}

func (h *ChangeHandler) show(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	h.Pages.EmailAddress(w, http.StatusOK, h.page(r, si, web.TakeFlash(w, r)))
}

func (h *ChangeHandler) submit(w http.ResponseWriter, r *http.Request) {
	switch r.PostFormValue("action") {
	case "change":
		// Sending a code to a new address starts taking over the account:
		// a stale session must prove it is still the member.
		h.Sessions.RequireRecentAuth(ProfilePath, http.HandlerFunc(h.change)).ServeHTTP(w, r)
	case "verify-current":
		h.sendCurrent(w, r)
	case "resend":
		h.resend(w, r)
	default:
		h.verify(w, r)
	}
}

// refuse shows the page again with an error.
func (h *ChangeHandler) refuse(w http.ResponseWriter, r *http.Request, status int, text string, edit func(*web.EmailAddressPage)) {
	si, _ := session.SignedInFrom(r.Context())
	p := h.page(r, si, web.Notice{Kind: "error", Text: text})
	if edit != nil {
		edit(&p)
	}
	h.Pages.EmailAddress(w, status, p)
}

func (h *ChangeHandler) change(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	to := signin.NormaliseEmail(r.PostFormValue("new_email"))
	keep := func(p *web.EmailAddressPage) { p.NewEmail = to }
	if err := membership.ValidateEmail(to); err != nil || to == "" {
		h.refuse(w, r, http.StatusBadRequest, "Enter a valid email address, like name@example.org.", keep)
		return
	}
	if to == si.Member.Email {
		h.refuse(w, r, http.StatusBadRequest, "That is already your email address.", keep)
		return
	}
	if taken(ctx, h.Store, si.Organisation.ID, to) {
		h.refuse(w, r, http.StatusConflict, "That address is already used by another member of your organisation.", keep)
		return
	}
	err := h.Store.InTx(ctx, func(ctx context.Context) error {
		return sendCode(ctx, h.Store, h.Codes, h.Logos, si.Organisation, si.Member, PurposeChange, to)
	})
	h.sent(w, r, err, keep)
}

func taken(ctx context.Context, s Store, orgID int64, email string) bool {
	_, err := s.MemberByEmail(ctx, orgID, email)
	return err == nil
}

// sent answers after sending a code: back to the page, which asks for it.
func (h *ChangeHandler) sent(w http.ResponseWriter, r *http.Request, err error, edit func(*web.EmailAddressPage)) {
	var wait *otpcode.TooSoonError
	if errors.As(err, &wait) {
		w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfterSeconds(wait.Wait)))
		h.refuse(w, r, http.StatusTooManyRequests, tooSoonNotice(wait.Wait).Text, edit)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	web.SetFlash(w, "email-code-sent")
	http.Redirect(w, r, ProfilePath, http.StatusSeeOther)
}

func (h *ChangeHandler) sendCurrent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	if si.Member.EmailVerified {
		http.Redirect(w, r, ProfilePath, http.StatusSeeOther)
		return
	}
	err := h.Store.InTx(ctx, func(ctx context.Context) error {
		return sendCode(ctx, h.Store, h.Codes, h.Logos, si.Organisation, si.Member, PurposeVerify, si.Member.Email)
	})
	h.sent(w, r, err, nil)
}

func (h *ChangeHandler) resend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	c, ok := h.pending(ctx, si)
	if !ok {
		h.refuse(w, r, http.StatusUnprocessableEntity, "There is no code waiting: start again below.", nil)
		return
	}
	err := h.Store.InTx(ctx, func(ctx context.Context) error {
		return sendCode(ctx, h.Store, h.Codes, h.Logos, si.Organisation, si.Member, c.Purpose, c.Destination)
	})
	h.sent(w, r, err, nil)
}
