package step

import (
	"context"
	"errors"
	"net/http"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/mfa/code"
	"imslogin/internal/signin"
	"imslogin/internal/sms"
	"imslogin/internal/store"
	"imslogin/web"
)

// PhoneChannel is the one-time-code purpose of a number being verified.
const PhoneChannel = "mfa-phone"

// Phone is the "phone" sign-in step: a member of an organisation that
// requires MFA by SMS, with no verified phone and no authenticator app or
// security key, enters a mobile number and the code sent to it. That code
// is the sign-in's second factor.
type Phone struct{ *Deps }

var _ signin.Step = (*Phone)(nil)

func (*Phone) Name() string { return "phone" }

func (p *Phone) Needed(ctx context.Context, f *signin.Flow) (bool, error) {
	if passed(f) {
		return false, nil
	}
	subj, err := p.neededSubject(ctx, f)
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
	trusted, err := p.trustedBrowser(ctx, f, subj)
	return !trusted, err
}

func (p *Phone) Show(w http.ResponseWriter, r *http.Request, f *signin.Flow) {
	p.render(w, r, f, http.StatusOK, web.Notice{}, "", "")
}

func (p *Phone) render(w http.ResponseWriter, r *http.Request, f *signin.Flow, status int, notice web.Notice, number, region string) {
	policy, err := p.Store.MFAPolicy(r.Context(), f.OrgID)
	if err != nil {
		p.serverError(w, err)
		return
	}
	page, err := PhonePage(r.Context(), p.Store, f.OrgID, f.MemberID, p.Now(), number, region)
	if err != nil {
		p.serverError(w, err)
		return
	}
	page.Notice, page.Action, page.RememberDays = notice, "/login/phone", rememberDays(policy)
	p.Pages.Phone(w, status, page)
}

// PhonePage fills the phone form, saying where a pending code went.
func PhonePage(ctx context.Context, st store.OneTimeCodes, orgID, memberID int64, now time.Time, number, region string) (web.PhonePage, error) {
	page := web.PhonePage{Number: number}
	c, err := st.OneTimeCode(ctx, orgID, memberID, PhoneChannel)
	if err == nil && now.Before(c.ExpiresAt) {
		page.CodeSentTo = sms.Mask(c.Destination)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return page, err
	}
	if region == "" {
		region = "US"
	}
	for _, c := range sms.Countries {
		page.Countries = append(page.Countries, web.CountryOption{Region: c.Region, Name: c.Name, Code: c.Code, Selected: c.Region == region})
	}
	return page, nil
}

// SendPhoneCode validates the number in the form and texts it a code.
// It returns a notice for the member when the number or timing is refused.
func SendPhoneCode(ctx context.Context, st code.SMSStore, org store.Organisation, memberID int64, r *http.Request, now time.Time) (web.Notice, error) {
	number, err := sms.Normalise(r.PostFormValue("phone"), r.PostFormValue("country"))
	if err != nil {
		return web.Notice{Kind: "error", Text: err.Error()}, nil
	}
	err = code.Issue(ctx, st, org.ID, memberID, PhoneChannel, number, now, true, code.TextCode(st, org, now))
	if errors.Is(err, mfa.ErrTooSoon) {
		return web.Notice{Kind: "info", Text: "A code was sent moments ago. Wait a minute before asking for another."}, nil
	}
	return web.Notice{}, err
}

func (p *Phone) Submit(w http.ResponseWriter, r *http.Request, f *signin.Flow) bool {
	ctx := r.Context()
	now := p.Now()
	if r.PostFormValue("action") == "send" {
		notice, err := SendPhoneCode(ctx, p.Store, f.Organisation, f.MemberID, r, now)
		if err != nil {
			p.serverError(w, err)
		} else if notice.Text != "" {
			p.render(w, r, f, http.StatusBadRequest, notice, r.PostFormValue("phone"), r.PostFormValue("country"))
		} else {
			http.Redirect(w, r, "/login/phone", http.StatusSeeOther)
		}
		return false
	}
	number, err := code.Check(ctx, p.Store, f.OrgID, f.MemberID, PhoneChannel, r.PostFormValue("code"), now)
	if errors.Is(err, mfa.ErrWrongCode) {
		if notice, ok := p.wrong(w, r, f, "wrong phone verification code"); ok {
			p.render(w, r, f, http.StatusUnauthorized, notice, "", "")
		}
		return false
	}
	if err == nil {
		err = p.Store.InTx(ctx, func(ctx context.Context) error {
			if err := code.SetPhone(ctx, p.Store, f.OrgID, f.MemberID, number, now); err != nil {
				return err
			}
			return auditMFA(ctx, p.Store, r, now, f.Member, "mobile number "+sms.Mask(number)+" verified at sign-in")
		})
	}
	var subj mfa.Subject
	if err == nil {
		subj, err = mfa.Load(ctx, p.Store, f.Organisation, f.Member, now)
	}
	if err == nil {
		err = p.succeed(w, r, f, subj, "sms", "sms")
	}
	if err != nil {
		p.serverError(w, err)
		return false
	}
	return true
}
