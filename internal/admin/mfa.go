package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/mail"
	"imslogin/internal/mfa"
	"imslogin/internal/store"
)

// Actions on a member's second factors.
const (
	ActionResetMFA       Action = "mfa-reset"
	ActionForgetBrowsers Action = "forget-browsers"
)

// MFASettings is the Multi-Factor Authentication section of Details.
type MFASettings struct {
	Required     bool     `json:"required"`
	Methods      []string `json:"methods"`
	RememberDays int      `json:"remember_days"`
}

// noDataAccess is why the section is read-only for most administrators.
const noDataAccess = "only team members with Sensitive Data Access can change multi-factor authentication"

// MFASettings reads the organisation's MFA policy.
func (s *Service) MFASettings(ctx context.Context, a Actor) (MFASettings, error) {
	if !a.Can(access.SettingsRead) {
		return MFASettings{}, ErrForbidden
	}
	p, err := s.Store.MFAPolicy(ctx, a.OrgID)
	return MFASettings{Required: p.Required, Methods: p.Methods, RememberDays: int(p.TrustedDeviceDuration / day)}, err
}

// SetMFASettings changes the policy: only a member with Sensitive Data
// Access and the settings permission may, and the change is audited.
func (s *Service) SetMFASettings(ctx context.Context, a Actor, in MFASettings) error {
	if !a.Can(access.SettingsWrite) || !a.DataAccess {
		return fmt.Errorf("%w: %s", ErrForbidden, noDataAccess)
	}
	methods := slices.DeleteFunc(slices.Clone(in.Methods), func(m string) bool { return m == "" })
	for _, m := range methods {
		if !slices.Contains(mfa.Selectable, m) {
			return refuse("mfa_methods", "Unknown method %q: choose among email, sms, totp and webauthn.", m)
		}
	}
	if in.Required && len(methods) == 0 {
		return refuse("mfa_methods", "Choose at least one method to turn multi-factor authentication on.")
	}
	if in.RememberDays < 0 || in.RememberDays > 365 {
		return refuse("mfa_remember_days", "Enter a whole number of days from 0 to 365.")
	}
	p := store.MFAPolicy{Required: in.Required, Methods: methods, TrustedDeviceDuration: time.Duration(in.RememberDays) * day}
	return mfa.SavePolicy(ctx, s.Store, a.OrgID, p, s.auditEvent(a, audit.SettingsChange))
}

// resetMFA removes a member's second factors and remembered browsers and
// tells them by email, in the action's transaction.
func (s *Service) resetMFA(ctx context.Context, tx Store, a Actor, org store.Organisation, m store.Member) (string, store.AuditEvent, error) {
	e := about(s.auditEvent(a, audit.MFAChange), m)
	e.Detail = "second factors and remembered browsers reset by an administrator"
	if err := mfa.ResetMember(ctx, tx, a.OrgID, m.ID); err != nil {
		return "", e, err
	}
	err := mail.Enqueue(ctx, tx, mail.Message{OrgID: org.ID, To: m.Email, Kind: mail.MFAReset, At: s.Now(),
		Data: mail.Data{Organisation: org.Name, Name: m.Name, LogoURL: s.logoURL(org), Extra: map[string]string{"actor": a.Label}}})
	return fmt.Sprintf("%s's second factors were reset; they were told by email.", m.Name), e, err
}

// forgetBrowsers forgets every browser the member chose to remember.
func (s *Service) forgetBrowsers(ctx context.Context, tx Store, a Actor, m store.Member) (string, store.AuditEvent, error) {
	e := about(s.auditEvent(a, audit.MFAChange), m)
	n, err := tx.DeleteMemberTrustedDevices(ctx, a.OrgID, m.ID)
	e.Detail = fmt.Sprintf("%d remembered browsers forgotten by an administrator", n)
	return fmt.Sprintf("%s's remembered browsers were forgotten: each will ask for a second factor.", m.Name), e, err
}

// MFAMethods lists each member's set-up second factors, for Team Members.
func (s *Service) MFAMethods(ctx context.Context, a Actor, ids []int64) (map[int64][]string, error) {
	return s.Store.MembersMFAMethods(ctx, a.OrgID, ids)
}

// MethodsInWords is a member's set-up second factors as Team Members shows
// them ("Authenticator app, SMS"), or "None".
func MethodsInWords(methods []string) string {
	names := map[string]string{"totp": "Authenticator app", "webauthn": "Security key", "sms": "SMS", "backup": "Backup codes"}
	var words []string
	for _, m := range methods {
		if n, ok := names[m]; ok {
			words = append(words, n)
		}
	}
	if len(words) == 0 {
		return "None"
	}
	return strings.Join(words, ", ")
}

// logoURL is where org's logo is served for its emails; "" without a
// configured address.
func (s *Service) logoURL(org store.Organisation) string {
	if s.Links == nil {
		return ""
	}
	return s.Links.LogoURL(org)
}
