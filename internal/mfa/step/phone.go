package step

import (
	"context"
	"errors"
	"net/http"

	"imslogin/internal/mfa"
	"imslogin/internal/mfa/code"
	"imslogin/internal/mfa/phone"
	"imslogin/internal/otpcode"
	"imslogin/internal/signin"
	"imslogin/internal/sms"
	"imslogin/web"
)

// Phone is the "phone" sign-in step: a member of an organisation that
// requires MFA by SMS, with no verified phone and no authenticator app or
// security key, enters a mobile number and the code sent to it. That code
// is the sign-in's second factor.
type Phone struct{ *Deps }

var _ signin.Step = (*Phone)(nil)

func (*Phone) Name() string { return "phone" }

func (p *Phone) Needed(ctx context.Context, f *signin.Flow, in signin.Input) (bool, error) {
	if passed(f) {
		return false, nil
	}
	if skip, err := p.skipped(ctx, f); skip || err != nil {
		return false, err
	}
	subj, err := p.neededSubject(ctx, f, in)
	if err != nil {
		return false, err
	}
	if !subj.Policy.Required || !subj.Policy.Allows("sms") || code.Phone(subj) != "" {
		return false, nil
	}
	for _, strong := range []string{"totp", "webauthn"} {
		if m, ok := p.Methods.Get(strong); ok && m.Usable(subj) {
			return false, nil // the member has something stronger to use
		}
	}
	trusted, err := p.trustedBrowser(ctx, f, in, subj)
	return !trusted, err
}

func (p *Phone) Show(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	page, err := p.page(ctx, f, in, in.Notice, "", "")
	return signin.Show(http.StatusOK, page), err
}

func (p *Phone) page(ctx context.Context, f *signin.Flow, in signin.Input, notice web.Notice, number, region string) (web.PhonePage, error) {
	policy, err := p.Store.MFAPolicy(ctx, f.OrgID)
	if err != nil {
		return web.PhonePage{}, err
	}
	page, err := phone.Page(ctx, p.Store, f.OrgID, f.MemberID, in.Now, number, region)
	page.Notice, page.Action, page.RememberDays = notice, "/login/phone", rememberDays(policy)
	return page, err
}

// Guess: the code form, not the request for a text.
func (*Phone) Guess(in signin.Input) bool { return isCode(in) }

func (p *Phone) Submit(ctx context.Context, f *signin.Flow, in signin.Input) (signin.Outcome, error) {
	if in.Form.Get("action") == "send" {
		notice, err := phone.SendCode(ctx, p.Store, otpcode.KeyFrom(p.Secrets.Box()), f.TokenHash, f.Organisation, f.MemberID, in.Form, in.Now)
		if err != nil || notice.Text == "" {
			return signin.Again(""), err
		}
		page, err := p.page(ctx, f, in, notice, in.Form.Get("phone"), in.Form.Get("country"))
		return signin.Show(http.StatusBadRequest, page), err
	}
	number, err := phone.Check(ctx, p.Store, otpcode.KeyFrom(p.Secrets.Box()), f.TokenHash, f.OrgID, f.MemberID, in.Form.Get("code"), in.Now)
	if errors.Is(err, mfa.ErrWrongCode) {
		page, err := p.page(ctx, f, in, wrongCode, "", "")
		return signin.Wrong("wrong phone verification code", http.StatusUnauthorized, page), err
	}
	if err != nil {
		return signin.Outcome{}, err
	}
	err = p.Store.InTx(ctx, func(ctx context.Context) error {
		if err := code.SetPhone(ctx, p.Store, f.OrgID, f.MemberID, number, in.Now); err != nil {
			return err
		}
		return auditMFA(ctx, p.Store, in.Origin, in.Now, f.Member, "mobile number "+sms.Mask(number)+" verified at sign-in")
	})
	if err != nil {
		return signin.Outcome{}, err
	}
	subj, err := subjectOf(ctx, p.Store, f, in.Now)
	if err != nil {
		return signin.Outcome{}, err
	}
	return p.succeed(ctx, f, in, subj, "sms", "sms")
}
