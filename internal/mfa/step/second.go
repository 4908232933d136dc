package step

import (
	"context"
	"errors"
	"net/http"

	"imslogin/internal/mfa"
	"imslogin/internal/signin"
	"imslogin/web"
)

// Second is the "mfa" sign-in step: the member confirms a second factor.
type Second struct{ *Deps }

var _ signin.Step = (*Second)(nil)

func (*Second) Name() string { return "mfa" }

// Needed when the organisation requires MFA or the member set a method up,
// unless this sign-in already has a second factor or the browser is trusted.
func (s *Second) Needed(ctx context.Context, f *signin.Flow, in signin.Input) (bool, error) {
	if passed(f) {
		return false, nil
	}
	if skip, err := s.skipped(ctx, f); skip || err != nil {
		return false, err
	}
	subj, err := s.neededSubject(ctx, f, in)
	if err != nil {
		return false, err
	}
	if !subj.Policy.Required && len(s.Methods.Usable(subj)) == 0 {
		return false, nil
	}
	trusted, err := s.trustedBrowser(ctx, f, in, subj)
	return !trusted, err
}

var _ signin.StepUpper = (*Second)(nil)

// CanStepUp: the member has a usable method, or the organisation has them
// set up an authenticator app at this step.
func (s *Second) CanStepUp(ctx context.Context, f *signin.Flow, in signin.Input) (bool, error) {
	subj, err := subjectOf(ctx, s.Store, f, in.Now)
	if err != nil {
		return false, err
	}
	usable := s.Methods.Usable(subj)
	return len(usable) > 0 || mustSetUp(subj, usable), nil
}

// current picks the flow's method: the one chosen, else the one the member
// used last, else the first usable one. The flow remembers it.
func (s *Second) current(ctx context.Context, f *signin.Flow, usable []mfa.Method) (mfa.Method, error) {
	pick := func(name string) mfa.Method {
		for _, m := range usable {
			if m.Name() == name {
				return m
			}
		}
		return nil
	}
	if m := pick(f.MFAMethod); m != nil {
		return m, nil
	}
	last, err := s.Store.LastMFAMethod(ctx, f.OrgID, f.MemberID)
	if err != nil {
		return nil, err
	}
	m := pick(last)
	if m == nil {
		m = usable[0]
	}
	f.MFAMethod = m.Name()
	return m, nil
}

func (s *Second) Show(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	page, err := s.page(ctx, f, in, in.Notice, false)
	if err != nil || page == nil {
		return noMethod, err
	}
	return signin.Show(http.StatusOK, page), nil
}

// noMethod ends a sign-in whose member has no method the organisation allows.
var noMethod = signin.End(http.StatusForbidden, web.Notice{Kind: "error", Text: "Your organisation requires a second factor, " +
	"but none of the methods it allows is set up for your account. Ask your organisation's administrator for help."})

// page shows the chosen method, challenging it first (sending a code
// unless one is pending, or a new one if resend), or the set-up of an
// authenticator app. A nil page means the member has no usable method.
func (s *Second) page(ctx context.Context, f *signin.Flow, in signin.Input, notice web.Notice, resend bool) (web.StepPage, error) {
	subj, err := subjectOf(ctx, s.Store, f, in.Now)
	if err != nil {
		return nil, err
	}
	usable := s.Methods.Usable(subj)
	if mustSetUp(subj, usable) {
		return s.setupPage(ctx, f, subj, notice)
	}
	if len(usable) == 0 {
		return nil, nil
	}
	m, err := s.current(ctx, f, usable)
	if err != nil {
		return nil, err
	}
	prompt, err := m.Challenge(ctx, subj, resend)
	switch {
	case errors.Is(err, mfa.ErrTooSoon):
		notice = web.Notice{Kind: "info", Text: "A code was sent moments ago. Wait a minute before asking for another."}
	case err != nil:
		return nil, err
	}
	page := web.MFAPage{Layout: web.Layout{Notice: notice}, Method: m.Name(), MethodLabel: m.Label(),
		Instructions: prompt.Instructions, CodeInput: prompt.CodeInput, CanResend: prompt.CanResend,
		Script: prompt.Script, RememberDays: rememberDays(subj.Policy)}
	for _, o := range usable {
		if o.Name() != m.Name() {
			page.Others = append(page.Others, web.MethodChoice{Name: o.Name(), Label: o.Label(), Weak: mfa.Weak(o.Name())})
		}
	}
	return page, nil
}

// Guess: an answer, not a choice of method or a resend.
func (*Second) Guess(in signin.Input) bool { return isCode(in) }

func (s *Second) Submit(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	switch in.Form.Get("action") {
	case "choose":
		f.MFAMethod = in.Form.Get("method") // page falls back if it is not usable
		return signin.Again(""), nil
	case "resend":
		page, err := s.page(ctx, f, in, web.Notice{Kind: "success", Text: "We sent a new code. Only the newest code works."}, true)
		if err != nil || page == nil {
			return noMethod, err
		}
		return signin.Show(http.StatusOK, page), nil
	}
	subj, err := subjectOf(ctx, s.Store, f, in.Now)
	if err != nil {
		return signin.Outcome{}, err
	}
	if in.Form.Get("method") == setupMethod && mustSetUp(subj, s.Methods.Usable(subj)) {
		return s.submitSetup(ctx, f, in, subj)
	}
	// The form names its method: any usable one may answer.
	m, ok := s.Methods.Get(in.Form.Get("method"))
	if !ok || !m.Usable(subj) {
		return signin.Again(""), nil
	}
	f.MFAMethod = m.Name()
	err = m.Verify(ctx, subj, in.Form)
	if errors.Is(err, mfa.ErrWrongCode) {
		page, err := s.page(ctx, f, in, wrongCode, false)
		if err != nil || page == nil {
			return noMethod, err
		}
		return signin.Wrong("wrong "+m.Name()+" code", http.StatusUnauthorized, page), nil
	}
	if err != nil {
		return signin.Outcome{}, err
	}
	return s.succeed(ctx, f, in, subj, m.Name(), m.AMR())
}
