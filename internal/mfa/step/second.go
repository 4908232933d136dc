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
func (s *Second) Needed(ctx context.Context, f *signin.Flow) (bool, error) {
	if passed(f) {
		return false, nil
	}
	subj, err := s.neededSubject(ctx, f)
	if err != nil {
		return false, err
	}
	if !subj.Policy.Required && len(s.Methods.Usable(subj)) == 0 {
		return false, nil
	}
	trusted, err := s.trustedBrowser(ctx, f, subj)
	return !trusted, err
}

// current picks the flow's method: the one chosen, else the one the member
// used last, else the first usable one.
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
	return m, s.Store.UpdateSigninFlow(ctx, &f.SigninFlow)
}

func (s *Second) Show(w http.ResponseWriter, r *http.Request, f *signin.Flow) {
	s.render(w, r, f, http.StatusOK, web.Notice{}, false)
}

// render shows the chosen method, challenging it first (sending a code
// unless one is pending, or a new one if resend).
func (s *Second) render(w http.ResponseWriter, r *http.Request, f *signin.Flow, status int, notice web.Notice, resend bool) {
	ctx := r.Context()
	subj, err := mfa.Load(ctx, s.Store, f.Organisation, f.Member, s.Now())
	if err != nil {
		s.serverError(w, err)
		return
	}
	usable := s.Methods.Usable(subj)
	if mustSetUp(subj, usable) {
		s.renderSetup(w, r, f, subj, status, notice)
		return
	}
	if len(usable) == 0 {
		s.Pages.Login(w, http.StatusForbidden, web.LoginPage{Organisation: f.Organisation.Name, Email: f.Member.Email,
			Layout: web.Layout{Notice: web.Notice{Kind: "error", Text: "Your organisation requires a second factor, " +
				"but none of the methods it allows is set up for your account. Ask your organisation's administrator for help."}}})
		return
	}
	m, err := s.current(ctx, f, usable)
	if err != nil {
		s.serverError(w, err)
		return
	}
	prompt, err := m.Challenge(ctx, subj, resend)
	switch {
	case errors.Is(err, mfa.ErrTooSoon):
		notice = web.Notice{Kind: "info", Text: "A code was sent moments ago. Wait a minute before asking for another."}
	case err != nil:
		s.serverError(w, err)
		return
	}
	page := web.MFAPage{Layout: web.Layout{Notice: notice}, Method: m.Name(), MethodLabel: m.Label(),
		Instructions: prompt.Instructions, CodeInput: prompt.CodeInput, CanResend: prompt.CanResend,
		Script: prompt.Script, RememberDays: rememberDays(subj.Policy)}
	for _, o := range usable {
		if o.Name() != m.Name() {
			page.Others = append(page.Others, web.MethodChoice{Name: o.Name(), Label: o.Label(), Weak: mfa.Weak(o.Name())})
		}
	}
	s.Pages.MFA(w, status, page)
}

func (s *Second) Submit(w http.ResponseWriter, r *http.Request, f *signin.Flow) bool {
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "choose":
		f.MFAMethod = r.PostFormValue("method") // render falls back if it is not usable
		if err := s.Store.UpdateSigninFlow(ctx, &f.SigninFlow); err != nil {
			s.serverError(w, err)
			return false
		}
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return false
	case "resend":
		s.render(w, r, f, http.StatusOK, web.Notice{Kind: "success", Text: "We sent a new code. Only the newest code works."}, true)
		return false
	}
	subj, err := mfa.Load(ctx, s.Store, f.Organisation, f.Member, s.Now())
	if err != nil {
		s.serverError(w, err)
		return false
	}
	if r.PostFormValue("method") == setupMethod && mustSetUp(subj, s.Methods.Usable(subj)) {
		return s.submitSetup(w, r, f, subj)
	}
	// The form names its method: any usable one may answer.
	m, ok := s.Methods.Get(r.PostFormValue("method"))
	if !ok || !m.Usable(subj) {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return false
	}
	f.MFAMethod = m.Name()
	err = m.Verify(ctx, subj, r.PostForm)
	if errors.Is(err, mfa.ErrWrongCode) {
		if notice, ok := s.wrong(w, r, f, "wrong "+m.Name()+" code"); ok {
			s.render(w, r, f, http.StatusUnauthorized, notice, false)
		}
		return false
	}
	if err == nil {
		err = s.succeed(w, r, f, subj, m.Name(), m.AMR())
	}
	if err != nil {
		s.serverError(w, err)
		return false
	}
	return true
}
