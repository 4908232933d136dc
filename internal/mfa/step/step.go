// Package step puts multi-factor authentication into the sign-in flow as
// two signin.Steps after email verification: "phone", which asks a member
// with no verified phone for one when the organisation requires MFA by SMS
// and the member has nothing stronger, and "mfa", the second factor itself.
// Both are skipped on a browser the member trusted with "Remember me".
package step

import (
	"context"
	"slices"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/mfa"
	"imslogin/internal/mfa/code"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/mfa/trusted"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/web"
)

// Store is what the steps read and write beside the methods' own stores.
type Store interface {
	mfa.FactorReader
	MFAPolicy(ctx context.Context, orgID int64) (store.MFAPolicy, error)
	LastMFAMethod(ctx context.Context, orgID, memberID int64) (string, error)
	SetLastMFAMethod(ctx context.Context, orgID, memberID int64, method string) error
	code.SMSStore
	code.Phones
	audit.Log
	DeleteSigninFlow(ctx context.Context, tokenHash []byte) error
	UpdateSigninFlow(ctx context.Context, f *store.SigninFlow) error
	totp.Confirmer
	ExternalMFA(ctx context.Context, orgID int64) (bool, error)
}

// Deps is what both steps use.
type Deps struct {
	Store   Store
	Methods *mfa.Registry
	Devices *trusted.Devices
	Secrets *totp.Secrets // seals the secret of an app set up at sign-in
}

// passed reports whether the flow already has a second factor.
func passed(f *signin.Flow) bool { return slices.Contains(f.AMR, "mfa") }

// skipped reports whether the organisation lets this sign-in go without
// its MFA: the sign-in came through a login service, and the organisation
// trusts its login services' own checks.
func (d *Deps) skipped(ctx context.Context, f *signin.Flow) (bool, error) {
	if !slices.Contains(f.AMR, signin.AMRExternal) {
		return false, nil
	}
	v, err := f.Memo(externalKey{}, func() (any, error) { return d.Store.ExternalMFA(ctx, f.OrgID) })
	if err != nil {
		return false, err
	}
	return !v.(bool), nil
}

type externalKey struct{}

type subjectKey struct{}

type trustedKey struct{}

// neededSubject loads the member's MFA policy and factors for a Needed
// check; the phone and mfa steps share one read per advance.
func (d *Deps) neededSubject(ctx context.Context, f *signin.Flow, in signin.Input) (mfa.Subject, error) {
	v, err := f.Memo(subjectKey{}, func() (any, error) {
		return subjectOf(ctx, d.Store, f, in.Now)
	})
	if err != nil {
		return mfa.Subject{}, err
	}
	return v.(mfa.Subject), nil
}

// trustedBrowser reports whether the sign-in comes from a browser the
// member trusted within the organisation's period; the phone and mfa steps
// share one look-up per advance.
func (d *Deps) trustedBrowser(ctx context.Context, f *signin.Flow, in signin.Input, s mfa.Subject) (bool, error) {
	v, err := f.Memo(trustedKey{}, func() (any, error) {
		return d.Devices.Trusted(ctx, in.Cookie(d.Devices.CookieName()), s.Organisation.ID, s.Member.ID,
			s.Policy.TrustedDeviceDuration, s.Now)
	})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// subjectOf loads the flow's member for the second factor, the codes it
// sends bound to this sign-in.
func subjectOf(ctx context.Context, st mfa.FactorReader, f *signin.Flow, now time.Time) (mfa.Subject, error) {
	s, err := mfa.Load(ctx, st, f.Organisation, f.Member, now)
	s.Binding = f.TokenHash
	return s, err
}

func rememberDays(p store.MFAPolicy) int { return int(p.TrustedDeviceDuration / (24 * time.Hour)) }

// succeed records the factor on the flow, remembers the method and, if
// asked, the browser: the outcome carries its cookie.
func (d *Deps) succeed(ctx context.Context, f *signin.Flow, in signin.Input, s mfa.Subject, method, amr string) (signin.Outcome, error) {
	for _, v := range []string{amr, "mfa"} {
		if !slices.Contains(f.AMR, v) {
			f.AMR = append(f.AMR, v)
		}
	}
	if err := d.Store.SetLastMFAMethod(ctx, f.OrgID, f.MemberID, method); err != nil {
		return signin.Outcome{}, err
	}
	if in.Form.Get("remember_device") == "" || s.Policy.TrustedDeviceDuration <= 0 {
		return signin.Passed(), nil
	}
	c, err := d.Devices.Remember(ctx, in.Origin.UserAgent, f.OrgID, f.MemberID, s.Policy.TrustedDeviceDuration, s.Now)
	if err != nil {
		return signin.Outcome{}, err
	}
	return signin.Passed(c), nil
}

// wrongCode is the notice of a wrong code.
var wrongCode = web.Notice{Kind: "error", Text: "That code is not right, or it has expired or was already used. Check it and try again."}

// isCode reports whether a form answers with a code (not a resend, a
// choice of method or a request for a new text).
func isCode(in signin.Input) bool {
	switch in.Form.Get("action") {
	case "choose", "resend", "send":
		return false
	}
	return true
}

// auditMFA records a change of the member's second factors.
func auditMFA(ctx context.Context, tx audit.Log, o audit.Origin, at time.Time, m store.Member, detail string) error {
	e := audit.About(audit.Event(o, at, m.OrgID, audit.MFAChange), m)
	e.Detail = detail
	return tx.AppendAuditEvent(ctx, &e)
}
