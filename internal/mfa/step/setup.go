package step

import (
	"context"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/mfa/totp"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/web"
)

// setupPurpose keeps the secret of an authenticator app being set up at
// sign-in until its first code arrives.
const setupPurpose = "mfa-totp-setup"

// setupMethod is the form's method while an app is set up at sign-in.
const setupMethod = "totp-setup"

var pendingMark = []byte("pending")

// mustSetUp reports whether the member has no usable method but the
// organisation requires MFA and allows an authenticator app, which can be
// set up on the spot (as Keycloak's "configure OTP" required action).
func mustSetUp(s mfa.Subject, usable []mfa.Method) bool {
	return len(usable) == 0 && s.Policy.Required && s.Policy.Allows(totp.Name)
}

// pendingSecret returns the secret being set up, making one if none is.
func (s *Second) pendingSecret(ctx context.Context, f *signin.Flow, subj mfa.Subject) (secret, otpauthURL string, err error) {
	c, err := s.Store.OneTimeCode(ctx, f.OrgID, f.MemberID, setupPurpose)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", "", err
	}
	if err == nil && subj.Now.Before(c.ExpiresAt) {
		// One that no longer opens (sealed with another key) is replaced.
		if otpauthURL, err := s.Secrets.OpenPending(f.OrgID, f.MemberID, c.Destination); err == nil {
			secret, err = totp.SecretOf(otpauthURL)
			return secret, otpauthURL, err
		}
	}
	e, err := totp.NewEnrolment(f.Organisation.Name, f.Member.Email)
	if err != nil {
		return "", "", err
	}
	err = s.Store.PutOneTimeCode(ctx, store.OneTimeCode{OrgID: f.OrgID, MemberID: f.MemberID, Purpose: setupPurpose,
		CodeHash: pendingMark, Destination: s.Secrets.SealPending(f.OrgID, f.MemberID, e.URL), SentAt: subj.Now,
		ExpiresAt: subj.Now.Add(flowLifetimeForSetup)})
	return e.Secret, e.URL, err
}

// flowLifetimeForSetup outlives the sign-in flow that shows the secret.
const flowLifetimeForSetup = 20 * time.Minute

func (s *Second) setupPage(ctx context.Context, f *signin.Flow, subj mfa.Subject, notice web.Notice) (web.StepPage, error) {
	secret, otpauthURL, err := s.pendingSecret(ctx, f, subj)
	if err != nil {
		return nil, err
	}
	png, err := totp.QRCode(otpauthURL)
	if err != nil {
		return nil, err
	}
	return web.MFAPage{Layout: web.Layout{Notice: notice}, Method: setupMethod,
		MethodLabel: "Set up an authenticator app", CodeInput: true, RememberDays: rememberDays(subj.Policy),
		Instructions: "Your organisation requires an authenticator app. Scan this QR code with one (Google Authenticator, " +
			"Authy, 1Password…), or type the key in, then enter the code it shows.",
		SetupSecret: secret, SetupQR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}, nil
}

// submitSetup confirms the app with its first code; that code is the
// sign-in's second factor.
func (s *Second) submitSetup(ctx context.Context, f *signin.Flow, in signin.Input, subj mfa.Subject) (signin.Outcome, error) {
	secret, _, err := s.pendingSecret(ctx, f, subj)
	if err != nil {
		return signin.Outcome{}, err
	}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.Secrets.Confirm(ctx, s.Store, f.OrgID, f.MemberID, "Authenticator app", secret, in.Form.Get("code"), subj.Now)
		if err != nil {
			return err
		}
		if err := s.Store.DeleteOneTimeCode(ctx, f.OrgID, f.MemberID, setupPurpose, pendingMark); err != nil {
			return err
		}
		return auditMFA(ctx, s.Store, in.Origin, subj.Now, f.Member, "authenticator app set up at sign-in")
	})
	if errors.Is(err, mfa.ErrWrongCode) {
		page, err := s.setupPage(ctx, f, subj, wrongCode)
		return signin.Wrong("wrong code while setting up an authenticator app", http.StatusUnauthorized, page), err
	}
	if err != nil {
		return signin.Outcome{}, err
	}
	return s.succeed(ctx, f, in, subj, totp.Name, "otp")
}
