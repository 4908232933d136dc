package emailverify

import (
	"context"
	"errors"
	"net/http"

	"imslogin/internal/audit"
	"imslogin/internal/mail"
	"imslogin/internal/otpcode"
	"imslogin/internal/session"
	"imslogin/internal/store"
	"imslogin/web"
)

// errTaken is a new address another member took while the code was out.
var errTaken = errors.New("emailverify: address already used by another member")

// verify takes the code of the pending change (or of the current
// address) and applies it in one transaction.
func (h *ChangeHandler) verify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, _ := session.SignedInFrom(ctx)
	pending, ok := h.pending(ctx, si)
	if !ok {
		h.refuse(w, r, http.StatusUnprocessableEntity, "There is no code waiting, or it has expired: start again below.", nil)
		return
	}
	guess, attempts := r.PostFormValue("code"), 0
	if otpcode.WellFormed(guess) {
		// Reserve, then check: the guess is counted before it is compared,
		// so a burst of guesses gets no more than MaxAttempts checked.
		n, err := h.Store.CountOneTimeCodeFailure(ctx, si.Organisation.ID, si.Member.ID, pending.Purpose)
		if errors.Is(err, store.ErrNotFound) || err == nil && n > MaxAttempts {
			h.cancel(w, r, si, pending)
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		attempts = n
	}
	flash := "email-verified"
	err := h.Store.InTx(ctx, func(ctx context.Context) error {
		c, err := h.Codes.Use(ctx, h.Store, si.Organisation.ID, si.Member.ID, pending.Purpose, guess)
		if err != nil {
			return err
		}
		if c.Purpose == PurposeChange {
			flash = "email-changed"
			return h.applyChange(ctx, r, h.Store, si, c.Destination)
		}
		if err := h.Store.MarkEmailVerified(ctx, si.Organisation.ID, si.Member.ID, c.Destination); errors.Is(err, store.ErrNotFound) {
			return otpcode.ErrNoCode // the address changed since the code went out
		} else if err != nil {
			return err
		}
		e := audit.About(audit.Event(audit.OriginOf(r), h.Codes.Now(), si.Organisation.ID, audit.EmailVerify), si.Member)
		e.Detail = "verified in My Profile"
		return h.Store.AppendAuditEvent(ctx, &e)
	})
	switch {
	case err == nil:
		h.Log.Info("email verified", "organisation", si.Organisation.Name, "member", si.Member.ID, "flash", flash)
		web.SetFlash(w, flash)
		http.Redirect(w, r, ProfilePath, http.StatusSeeOther)
	case errors.Is(err, errTaken):
		h.refuse(w, r, http.StatusConflict, "That address is already used by another member of your organisation.", nil)
	case errors.Is(err, otpcode.ErrWrong):
		h.wrongCode(w, r, si, pending, attempts)
	default:
		notice, status, known := codeNotice(err, 0)
		if !known {
			h.serverError(w, r, err)
			return
		}
		h.refuse(w, r, status, notice.Text, nil)
	}
}

// applyChange replaces the address, tells the old one and audits, through
// tx: the member has a working address at every moment.
func (h *ChangeHandler) applyChange(ctx context.Context, r *http.Request, tx Store, si store.SignedIn, to string) error {
	org, m := si.Organisation, si.Member
	err := tx.ChangeMemberEmail(ctx, org.ID, m.ID, to)
	if errors.Is(err, store.ErrConflict) {
		return errTaken
	}
	if err != nil {
		return err
	}
	if err := h.endOthers(ctx, tx, si); err != nil {
		return err
	}
	if err := mail.Enqueue(ctx, tx, mail.Message{OrgID: org.ID, To: m.Email, Kind: mail.EmailChanged, At: h.Codes.Now(),
		Data: mail.Data{Organisation: org.Name, Name: m.Name, LogoURL: h.Logos.For(org), Extra: map[string]string{"new": to}}}); err != nil {
		return err
	}
	e := audit.About(audit.Event(audit.OriginOf(r), h.Codes.Now(), org.ID, audit.EmailChange), m)
	e.Detail = "from " + m.Email + " to " + to
	return tx.AppendAuditEvent(ctx, &e)
}

// endOthers ends what the old address could still reach, through tx: the
// member's emailed links (a reset link sent to the old address) and every
// session but this one, with the tokens issued from them.
func (h *ChangeHandler) endOthers(ctx context.Context, tx Store, si store.SignedIn) error {
	org, m := si.Organisation.ID, si.Member.ID
	if err := tx.EndMemberLinkTokens(ctx, org, m, h.Codes.Now()); err != nil {
		return err
	}
	sessions, err := tx.MemberSessions(ctx, org, m)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if s.ID == si.Session.ID {
			continue
		}
		if err := tx.DeleteMemberSession(ctx, org, m, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := session.Notify(ctx, h.Sessions.Hook(), session.Ended{OrgID: org, MemberID: m, SessionID: s.ID}); err != nil {
			return err
		}
	}
	return nil
}

// wrongCode answers a wrong guess, already counted on the pending code
// (the count survives resends); the last allowed one cancels the code.
func (h *ChangeHandler) wrongCode(w http.ResponseWriter, r *http.Request, si store.SignedIn, c store.OneTimeCode, attempts int) {
	if attempts < MaxAttempts {
		notice, status, _ := codeNotice(otpcode.ErrWrong, MaxAttempts-attempts)
		h.refuse(w, r, status, notice.Text, nil)
		return
	}
	h.cancel(w, r, si, c)
}

// cancel ends a pending code whose guesses are spent.
func (h *ChangeHandler) cancel(w http.ResponseWriter, r *http.Request, si store.SignedIn, c store.OneTimeCode) {
	err := h.Store.DeleteOneTimeCode(r.Context(), si.Organisation.ID, si.Member.ID, c.Purpose, c.CodeHash)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	h.Log.Warn("email code cancelled after wrong guesses", "organisation", si.Organisation.Name, "member", si.Member.ID)
	h.refuse(w, r, http.StatusUnprocessableEntity, "Too many wrong codes: that code no longer works. Start again below.", nil)
}

func (h *ChangeHandler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("email address", "path", r.URL.Path, "err", err)
	h.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete this because of a problem on our side. Please try again in a moment."})
}
