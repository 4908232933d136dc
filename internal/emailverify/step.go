package emailverify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"imslogin/internal/audit"
	"imslogin/internal/otpcode"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/internal/throttle"
	"imslogin/web"
)

// Step is the "Verify your email" step of the sign-in.
type Step struct {
	Store Store
	Codes *otpcode.Issuer
	Pages *web.Renderer
	Log   *slog.Logger
}

var (
	_ signin.Step    = (*Step)(nil)
	_ signin.Enterer = (*Step)(nil)
)

// Name is the step's path segment: /login/verify-email.
func (s *Step) Name() string { return "verify-email" }

// Needed reports whether the member must verify their email now.
func (s *Step) Needed(ctx context.Context, f *signin.Flow) (bool, error) {
	return f.Organisation.Settings.RequireVerifiedEmail && !f.Member.EmailVerified, nil
}

// Enter sends the first code. A code sent moments ago (a second sign-in
// at once) still works, so it is not replaced.
func (s *Step) Enter(ctx context.Context, f *signin.Flow) error {
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		return sendCode(ctx, s.Store, s.Codes, f.Organisation, f.Member, PurposeVerify, f.Member.Email)
	})
	var tooSoon *otpcode.TooSoonError
	if errors.As(err, &tooSoon) {
		return nil
	}
	return err
}

// Show renders the code form.
func (s *Step) Show(w http.ResponseWriter, r *http.Request, f *signin.Flow) {
	s.render(w, http.StatusOK, f, web.TakeFlash(w, r))
}

func (s *Step) render(w http.ResponseWriter, status int, f *signin.Flow, n web.Notice) {
	s.Pages.VerifyEmail(w, status, web.VerifyEmailPage{Layout: web.Layout{Notice: n}, Email: f.Member.Email,
		AttemptsLeft: MaxAttempts - f.Attempts})
}

// Submit handles the three forms of the page: Verify Email (the default),
// Resend Code and Skip for now.
func (s *Step) Submit(w http.ResponseWriter, r *http.Request, f *signin.Flow) bool {
	switch r.PostFormValue("action") {
	case "resend":
		s.resend(w, r, f)
		return false
	case "skip":
		return s.skip(w, r, f)
	}
	return s.verify(w, r, f)
}

func (s *Step) verify(w http.ResponseWriter, r *http.Request, f *signin.Flow) bool {
	ctx := r.Context()
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		c, err := s.Codes.Use(ctx, s.Store, f.OrgID, f.MemberID, PurposeVerify, r.PostFormValue("code"))
		if err != nil {
			return err
		}
		if err := s.Store.MarkEmailVerified(ctx, f.OrgID, f.MemberID, c.Destination); errors.Is(err, store.ErrNotFound) {
			return otpcode.ErrNoCode // the code went to an address the member no longer has
		} else if err != nil {
			return err
		}
		e := audit.About(audit.Event(r, s.Codes.Now(), f.OrgID, audit.EmailVerify), f.Member)
		e.Detail = "verified at sign-in"
		return s.Store.AppendAuditEvent(ctx, &e)
	})
	if err == nil || errors.Is(err, otpcode.ErrNoCode) && s.verifiedMeanwhile(ctx, f) {
		// The second of a double click finds the code used by the first.
		f.Member.EmailVerified = true
		return true
	}
	if errors.Is(err, otpcode.ErrWrong) {
		f.Attempts++
		if f.Attempts >= MaxAttempts {
			f.Fail(fmt.Sprintf("%d wrong email codes", f.Attempts))
			return false
		}
	}
	notice, status, known := codeNotice(err, MaxAttempts-f.Attempts)
	if !known {
		s.serverError(w, err)
		return false
	}
	s.render(w, status, f, notice)
	return false
}

// verifiedMeanwhile reports whether the member's address, as the flow
// knows it, was verified since the flow was loaded.
func (s *Step) verifiedMeanwhile(ctx context.Context, f *signin.Flow) bool {
	m, err := s.Store.MemberByID(ctx, f.OrgID, f.MemberID)
	return err == nil && m.EmailVerified && m.Email == f.Member.Email
}

// codeNotice explains a refused code; known is false for a failure of
// the server rather than of the code.
func codeNotice(err error, attemptsLeft int) (n web.Notice, status int, known bool) {
	text := ""
	switch {
	case errors.Is(err, otpcode.ErrMalformed):
		text = "Enter the 6-digit code from the email."
	case errors.Is(err, otpcode.ErrExpired):
		text = "This code has expired. Select Resend Code to get a new one."
	case errors.Is(err, otpcode.ErrNoCode):
		text = "There is no code waiting. Select Resend Code to get a new one."
	case errors.Is(err, otpcode.ErrWrong):
		text = "That code is not right. Check the most recent email we sent and try again " +
			"(" + plural(attemptsLeft, "attempt") + " left)."
	default:
		return web.Notice{}, http.StatusInternalServerError, false
	}
	return web.Notice{Kind: "error", Text: text}, http.StatusUnprocessableEntity, true
}

func (s *Step) resend(w http.ResponseWriter, r *http.Request, f *signin.Flow) {
	ctx := r.Context()
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		return sendCode(ctx, s.Store, s.Codes, f.Organisation, f.Member, PurposeVerify, f.Member.Email)
	})
	if n, status, ok := tooSoon(w, err); ok {
		s.render(w, status, f, n)
		return
	}
	if err != nil {
		s.serverError(w, err)
		return
	}
	web.SetFlash(w, "code-resent")
	http.Redirect(w, r, "/login/"+s.Name(), http.StatusSeeOther)
}

// tooSoon answers a resend refused by the wait between codes.
func tooSoon(w http.ResponseWriter, err error) (web.Notice, int, bool) {
	var e *otpcode.TooSoonError
	if !errors.As(err, &e) {
		return web.Notice{}, 0, false
	}
	secs := throttle.RetryAfterSeconds(e.Wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return web.Notice{Kind: "error", Text: "We sent a code moments ago. Please wait " + plural(secs, "second") +
		" before asking for another, and check your junk or spam folder meanwhile."}, http.StatusTooManyRequests, true
}

func (s *Step) skip(w http.ResponseWriter, r *http.Request, f *signin.Flow) bool {
	e := audit.About(audit.Event(r, s.Codes.Now(), f.OrgID, audit.EmailVerify), f.Member)
	e.Detail = "skipped at sign-in (Skip for now)"
	if err := s.Store.AppendAuditEvent(r.Context(), &e); err != nil {
		s.serverError(w, err)
		return false
	}
	return true
}

func (s *Step) serverError(w http.ResponseWriter, err error) {
	s.Log.Error("email verification", "err", err)
	s.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete your sign-in because of a problem on our side. Please try again in a moment."})
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
