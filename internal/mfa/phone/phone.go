// Package phone is phone enrolment: the form that asks for a mobile number,
// the code texted to it and the check that makes it the member's verified
// phone. The sign-in's "phone" step and My Profile → Security both use it.
package phone

import (
	"context"
	"errors"
	"net/url"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/mfa/code"
	"imslogin/internal/sms"
	"imslogin/internal/store"
	"imslogin/web"
)

// Channel is the one-time-code purpose of a number being verified.
const Channel = "mfa-phone"

// Page fills the phone form, saying where a pending code went.
func Page(ctx context.Context, st store.OneTimeCodes, orgID, memberID int64, now time.Time, number, region string) (web.PhonePage, error) {
	page := web.PhonePage{Number: number}
	c, err := st.OneTimeCode(ctx, orgID, memberID, Channel)
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

// SendCode validates the number in the form (fields phone and country)
// and texts it a code bound to binding (the sign-in's flow ID, nil in My
// Profile). It returns a notice for the member when the number or the
// timing is refused.
func SendCode(ctx context.Context, st code.SMSStore, key, binding []byte, org store.Organisation, memberID int64, form url.Values,
	now time.Time) (web.Notice, error) {
	number, err := sms.Normalise(form.Get("phone"), form.Get("country"))
	if err != nil {
		return web.Notice{Kind: "error", Text: err.Error()}, nil
	}
	err = code.Issue(ctx, st, key, binding, org.ID, memberID, Channel, number, now, true, code.TextCode(st, org, now))
	if errors.Is(err, mfa.ErrTooSoon) {
		return web.Notice{Kind: "info", Text: "A code was sent moments ago. Wait a minute before asking for another."}, nil
	}
	return web.Notice{}, err
}

// Check accepts the newest code texted for enrolment with binding and
// returns the number it went to; a wrong, expired or used code, or one
// sent for another sign-in, is mfa.ErrWrongCode.
func Check(ctx context.Context, st store.OneTimeCodes, key, binding []byte, orgID, memberID int64, guess string, now time.Time) (string, error) {
	return code.Check(ctx, st, key, binding, orgID, memberID, Channel, guess, now)
}
