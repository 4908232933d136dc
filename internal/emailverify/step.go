package emailverify

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/mail"
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
	// Logos places the organisation's logo in the email.
	Logos mail.Logos
}

var (
	_ signin.Step    = (*Step)(nil)
	_ signin.Enterer = (*Step)(nil)
)

// Name is the step's path segment: /login/verify-email.
func (s *Step) Name() string { return "verify-email" }

// Needed reports whether the member must verify their email now.
func (s *Step) Needed(_ context.Context, f *signin.Flow, _ signin.Input) (bool, error) {
	return f.Organisation.Settings.RequireVerifiedEmail && !f.Member.EmailVerified, nil
}

// Enter sends the first code, bound to this sign-in. While a code sent
// moments ago (for another sign-in at once) holds the member's minute,
// none is sent: the page's Resend Code sends this sign-in's after it.
func (s *Step) Enter(ctx context.Context, f *signin.Flow) error {
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		return sendCode(ctx, s.Store, s.codes(f), s.Logos, f.Organisation, f.Member, PurposeVerify, f.Member.Email)
	})
	var tooSoon *otpcode.TooSoonError
	if errors.As(err, &tooSoon) {
		return nil
	}
	return err
}

// codes issues and checks the codes of the flow's sign-in only: a code
// sent for another sign-in of the member is wrong here.
func (s *Step) codes(f *signin.Flow) *otpcode.Issuer { return s.Codes.Bound(f.TokenHash) }

// Show returns the code form.
func (s *Step) Show(_ context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	return signin.Show(http.StatusOK, page(f, in.Notice)), nil
}

func page(f *signin.Flow, n web.Notice) web.VerifyEmailPage {
	return web.VerifyEmailPage{Layout: web.Layout{Notice: n}, Email: f.Member.Email,
		AttemptsLeft: signin.MaxAttempts - f.Attempts}
}

// Guess: Verify Email with a well-formed code (the default form).
func (s *Step) Guess(in signin.Input) bool {
	switch in.Form.Get("action") {
	case "resend", "skip":
		return false
	}
	return true
}

// Submit handles the three forms of the page: Verify Email (the default),
// Resend Code and Skip for now.
func (s *Step) Submit(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	switch in.Form.Get("action") {
	case "resend":
		return s.resend(ctx, f, in)
	case "skip":
		return s.skip(ctx, f, in)
	}
	return s.verify(ctx, f, in)
}

func (s *Step) verify(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		c, err := s.codes(f).Use(ctx, s.Store, f.OrgID, f.MemberID, PurposeVerify, in.Form.Get("code"))
		if err != nil {
			return err
		}
		if err := s.Store.MarkEmailVerified(ctx, f.OrgID, f.MemberID, c.Destination); errors.Is(err, store.ErrNotFound) {
			return otpcode.ErrNoCode // the code went to an address the member no longer has
		} else if err != nil {
			return err
		}
		e := audit.About(audit.Event(in.Origin, s.Codes.Now(), f.OrgID, audit.EmailVerify), f.Member)
		e.Detail = "verified at sign-in"
		return s.Store.AppendAuditEvent(ctx, &e)
	})
	if err == nil || errors.Is(err, otpcode.ErrNoCode) && s.verifiedMeanwhile(ctx, f) {
		// The second of a double click finds the code used by the first.
		f.Member.EmailVerified = true
		return signin.Passed(), nil
	}
	notice, status, known := codeNotice(err, signin.MaxAttempts-f.Attempts)
	if !known {
		return signin.Outcome{}, err
	}
	if errors.Is(err, otpcode.ErrWrong) {
		return signin.Wrong("wrong email code", status, page(f, notice)), nil
	}
	return signin.Show(status, page(f, notice)), nil
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

func (s *Step) resend(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		return sendCode(ctx, s.Store, s.codes(f), s.Logos, f.Organisation, f.Member, PurposeVerify, f.Member.Email)
	})
	var wait *otpcode.TooSoonError
	if errors.As(err, &wait) {
		return signin.Show(http.StatusTooManyRequests, page(f, tooSoonNotice(wait.Wait))).RetryAfter(wait.Wait), nil
	}
	if err != nil {
		return signin.Outcome{}, err
	}
	return signin.Again("code-resent"), nil
}

// tooSoonNotice answers a resend refused by the wait between codes.
func tooSoonNotice(wait time.Duration) web.Notice {
	secs := throttle.RetryAfterSeconds(wait)
	return web.Notice{Kind: "error", Text: "We sent a code moments ago. Please wait " + plural(secs, "second") +
		" before asking for another, and check your junk or spam folder meanwhile."}
}

func (s *Step) skip(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	e := audit.About(audit.Event(in.Origin, s.Codes.Now(), f.OrgID, audit.EmailVerify), f.Member)
	e.Detail = "skipped at sign-in (Skip for now)"
	if err := s.Store.AppendAuditEvent(ctx, &e); err != nil {
		return signin.Outcome{}, err
	}
	return signin.Passed(), nil
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
