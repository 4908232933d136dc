// Package step puts multi-factor authentication into the sign-in flow as
// two signin.Steps after email verification: "phone", which asks a member
// with no verified phone for one when the organisation requires MFA by SMS
// and the member has nothing stronger, and "mfa", the second factor itself.
// Both are skipped on a browser the member trusted with "Remember me".
package step

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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

// MaxAttempts is how many wrong codes one sign-in may send before it must
// start again; each also counts towards the account lockout.
const MaxAttempts = 5

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
}

// Deps is what both steps use.
type Deps struct {
	Store   Store
	Methods *mfa.Registry
	Devices *trusted.Devices
	Secrets *totp.Secrets // seals the secret of an app set up at sign-in
	Pages   *web.Renderer
	Log     *slog.Logger
	Now     func() time.Time
}

// passed reports whether the flow already has a second factor.
func passed(f *signin.Flow) bool { return slices.Contains(f.AMR, "mfa") }

type subjectKey struct{}

type trustedKey struct{}

// neededSubject loads the member's MFA policy and factors for a Needed
// check; the phone and mfa steps share one read per advance.
func (d *Deps) neededSubject(ctx context.Context, f *signin.Flow) (mfa.Subject, error) {
	v, err := f.Memo(subjectKey{}, func() (any, error) {
		return mfa.Load(ctx, d.Store, f.Organisation, f.Member, d.Now())
	})
	if err != nil {
		return mfa.Subject{}, err
	}
	return v.(mfa.Subject), nil
}

// trustedBrowser reports whether the sign-in comes from a browser the
// member trusted within the organisation's period; the phone and mfa steps
// share one look-up per advance.
func (d *Deps) trustedBrowser(ctx context.Context, f *signin.Flow, s mfa.Subject) (bool, error) {
	r := signin.RequestOf(ctx)
	if r == nil {
		return false, nil
	}
	v, err := f.Memo(trustedKey{}, func() (any, error) {
		return d.Devices.Trusted(ctx, r, s.Organisation.ID, s.Member.ID, s.Policy.TrustedDeviceDuration, s.Now)
	})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

func rememberDays(p store.MFAPolicy) int { return int(p.TrustedDeviceDuration / (24 * time.Hour)) }

// succeed records the factor on the flow, remembers the method and, if
// asked, the browser.
func (d *Deps) succeed(w http.ResponseWriter, r *http.Request, f *signin.Flow, s mfa.Subject, method, amr string) error {
	for _, v := range []string{amr, "mfa"} {
		if !slices.Contains(f.AMR, v) {
			f.AMR = append(f.AMR, v)
		}
	}
	ctx := r.Context()
	if err := d.Store.SetLastMFAMethod(ctx, f.OrgID, f.MemberID, method); err != nil {
		return err
	}
	if r.PostFormValue("remember_device") == "" || s.Policy.TrustedDeviceDuration <= 0 {
		return nil
	}
	return d.Devices.Remember(ctx, w, r, f.OrgID, f.MemberID, s.Policy.TrustedDeviceDuration, s.Now)
}

// wrong counts a wrong code. It returns a notice to show, or ok=false when
// it has already answered (the account locked, or too many tries).
func (d *Deps) wrong(w http.ResponseWriter, r *http.Request, f *signin.Flow, reason string) (web.Notice, bool) {
	f.Attempts++
	until, err := f.CountFailure(reason)
	if err != nil {
		d.Log.Error("count wrong code", "err", err)
	}
	if !until.IsZero() {
		f.EndLocked(w, until)
		return web.Notice{}, false
	}
	if f.Attempts >= MaxAttempts {
		if err := d.Store.DeleteSigninFlow(r.Context(), f.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
			d.Log.Error("end sign-in", "err", err)
		}
		d.Pages.Login(w, http.StatusUnauthorized, web.LoginPage{Organisation: f.Organisation.Name, Email: f.Member.Email,
			Layout: web.Layout{Notice: web.Notice{Kind: "error", Text: "Too many wrong codes. Sign in again to get a new one."}}})
		return web.Notice{}, false
	}
	return web.Notice{Kind: "error", Text: "That code is not right, or it has expired or was already used. Check it and try again."}, true
}

// auditMFA records a change of the member's second factors.
func auditMFA(ctx context.Context, tx audit.Log, r *http.Request, at time.Time, m store.Member, detail string) error {
	e := audit.About(audit.Event(r, at, m.OrgID, audit.MFAChange), m)
	e.Detail = detail
	return tx.AppendAuditEvent(ctx, &e)
}

func (d *Deps) serverError(w http.ResponseWriter, err error) {
	d.Log.Error("mfa step", "err", err)
	d.Pages.Error(w, http.StatusInternalServerError, web.ErrorPage{Heading: "Something went wrong",
		Message: "We couldn't complete your sign-in. Please try again in a moment."})
}
