package profile

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"imslogin/internal/mfa"
	"imslogin/internal/mfa/webauthn"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// startKey begins adding a security key: the page comes back with the
// options the browser needs and a button that runs the ceremony.
func (h *SecurityHandler) startKey(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	subj, err := mfa.Load(r.Context(), h.Store, si.Organisation, si.Member, h.Now())
	if err != nil {
		h.serverError(w, err)
		return
	}
	options, err := h.Keys.BeginRegistration(r.Context(), subj)
	if err != nil {
		h.serverError(w, err)
		return
	}
	h.render(w, r, http.StatusOK, web.Notice{}, func(p *web.SecurityPage) { p.KeyOptions = options })
}

func (h *SecurityHandler) finishKey(w http.ResponseWriter, r *http.Request) {
	si, _ := session.SignedInFrom(r.Context())
	subj, err := mfa.Load(r.Context(), h.Store, si.Organisation, si.Member, h.Now())
	if err != nil {
		h.serverError(w, err)
		return
	}
	name := r.PostFormValue("name")
	if len(name) > 60 {
		name = name[:60]
	}
	h.change(w, r, "security key added", "Your security key is set up. You'll be asked for it when you sign in.",
		func(ctx context.Context, _ store.SignedIn) error {
			err := h.Keys.FinishRegistration(ctx, h.Store, subj, name, r.PostFormValue("credential"))
			if errors.Is(err, mfa.ErrWrongCode) {
				return refusal("The security key could not be added: its answer was missing, expired or not valid. Try again.")
			}
			return err
		}, func(*web.SecurityPage) {})
}

func (h *SecurityHandler) removeKey(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	h.change(w, r, "security key removed", "The security key was removed.",
		func(ctx context.Context, si store.SignedIn) error {
			return deleteFactorOf(ctx, h.Store, si, webauthn.Name, id)
		}, func(*web.SecurityPage) {})
}

// refusal is a change refused for the member's input, shown on the page.
type refusal string

func (r refusal) Error() string { return string(r) }
