package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/field"
	"imslogin/internal/membership"
	"imslogin/internal/store"
	"imslogin/web"
)

// Settings are the Details an administrator edits, in the units the page
// shows. The API reads and writes the same fields.
type Settings struct {
	Name                  string `json:"name"`
	URLName               string `json:"url_name"` // read only: operators set it (ims org set --url-name)
	SignInURL             string `json:"sign_in_url"`
	PasswordMinLength     int    `json:"password_min_length"`
	LockoutThreshold      int    `json:"lockout_threshold"`
	LockoutMinutes        int    `json:"lockout_minutes"`
	SessionIdleMinutes    int    `json:"session_idle_minutes"`
	SessionAbsoluteHours  int    `json:"session_absolute_hours"`
	RememberMeIdleDays    int    `json:"remember_me_idle_days"`
	RememberMeDays        int    `json:"remember_me_days"`
	RegistrationHours     int    `json:"registration_hours"`
	UnlinkedRemovalDays   int    `json:"unlinked_removal_days"`
	NotifyMemberLockout   bool   `json:"notify_member_lockout"`
	NotifyPasswordChange  bool   `json:"notify_password_change"`
	NotifyAdminsNewMember bool   `json:"notify_admins_new_member"`
	RequireVerifiedEmail  bool   `json:"require_verified_email"`
}

// SettingsOf reads an organisation's settings.
func SettingsOf(o store.Organisation) Settings {
	s := o.Settings
	return Settings{
		Name: o.Name, URLName: o.URLName, SignInURL: o.SignInURL, PasswordMinLength: s.PasswordMinLength,
		LockoutThreshold: s.LockoutThreshold, LockoutMinutes: int(s.LockoutDuration / time.Minute),
		SessionIdleMinutes: int(s.SessionIdleTimeout / time.Minute), SessionAbsoluteHours: int(s.SessionAbsoluteTimeout / time.Hour),
		RememberMeIdleDays: int(s.RememberMeIdleTimeout / day), RememberMeDays: int(s.RememberMeDuration / day),
		RegistrationHours: int(s.RegistrationLifetime / time.Hour), UnlinkedRemovalDays: s.UnlinkedRemovalDays,
		NotifyMemberLockout: s.NotifyMemberLockout, NotifyPasswordChange: s.NotifyPasswordChange,
		NotifyAdminsNewMember: s.NotifyAdminsNewMember,
		RequireVerifiedEmail:  s.RequireVerifiedEmail,
	}
}

const day = 24 * time.Hour

// SettingRange is the allowed range of a numeric setting, shown as a hint.
type SettingRange struct{ Min, Max int }

// Ranges are the bounds of each numeric setting, by JSON name.
var Ranges = map[string]SettingRange{
	"password_min_length":    {15, 64}, // NIST SP 800-63B without MFA; MFA may lower it later
	"lockout_threshold":      {1, 100},
	"lockout_minutes":        {1, 1440},
	"session_idle_minutes":   {5, 1440},
	"session_absolute_hours": {1, 720},
	"remember_me_idle_days":  {1, 90},
	"remember_me_days":       {1, 365},
	"registration_hours":     {1, 720},
	"unlinked_removal_days":  {1, 365},
}

// Validate returns a message per invalid field; empty when all is well.
func (s Settings) Validate() map[string]string {
	errs := map[string]string{}
	if err := membership.ValidateName("organisation name", strings.TrimSpace(s.Name)); err != nil {
		errs["name"] = membership.Fields(err)["name"]
	}
	if msg := checkSignInURL(s.SignInURL); msg != "" {
		errs["sign_in_url"] = msg
	}
	for field, v := range map[string]int{
		"password_min_length": s.PasswordMinLength, "lockout_threshold": s.LockoutThreshold,
		"lockout_minutes": s.LockoutMinutes, "session_idle_minutes": s.SessionIdleMinutes,
		"session_absolute_hours": s.SessionAbsoluteHours, "remember_me_idle_days": s.RememberMeIdleDays,
		"remember_me_days": s.RememberMeDays, "registration_hours": s.RegistrationHours,
		"unlinked_removal_days": s.UnlinkedRemovalDays,
	} {
		if r := Ranges[field]; v < r.Min || v > r.Max {
			errs[field] = fmt.Sprintf("Enter a whole number from %d to %d.", r.Min, r.Max)
		}
	}
	if _, bad := errs["session_absolute_hours"]; !bad && time.Duration(s.SessionAbsoluteHours)*time.Hour < time.Duration(s.SessionIdleMinutes)*time.Minute {
		errs["session_absolute_hours"] = "The absolute limit must be at least the idle limit."
	}
	if _, bad := errs["remember_me_days"]; !bad && s.RememberMeDays < s.RememberMeIdleDays {
		errs["remember_me_days"] = `The "Keep me signed in" limit must be at least its idle limit.`
	}
	return errs
}

// checkSignInURL accepts an empty value (the server's address is used) or
// an absolute https address with no path, query or credentials; plain http
// only for this machine, during development.
func checkSignInURL(raw string) string {
	if raw == "" {
		return ""
	}
	if len(raw) > field.ReturnPath {
		return "Enter an address of at most 2,048 characters."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "Enter an address like https://portal.example.org, without a path."
	}
	host := u.Hostname()
	local := host == "localhost" || net.ParseIP(host).IsLoopback()
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return "The sign-in URL must start with https://."
	}
	return ""
}

func (s Settings) apply(o *store.Organisation) {
	o.Name = strings.TrimSpace(s.Name)
	o.SignInURL = strings.TrimSuffix(s.SignInURL, "/")
	st := &o.Settings
	st.PasswordMinLength = s.PasswordMinLength
	st.LockoutThreshold = s.LockoutThreshold
	st.LockoutDuration = time.Duration(s.LockoutMinutes) * time.Minute
	st.SessionIdleTimeout = time.Duration(s.SessionIdleMinutes) * time.Minute
	st.SessionAbsoluteTimeout = time.Duration(s.SessionAbsoluteHours) * time.Hour
	st.RememberMeIdleTimeout = time.Duration(s.RememberMeIdleDays) * day
	st.RememberMeDuration = time.Duration(s.RememberMeDays) * day
	st.RegistrationLifetime = time.Duration(s.RegistrationHours) * time.Hour
	st.UnlinkedRemovalDays = s.UnlinkedRemovalDays
	st.NotifyMemberLockout = s.NotifyMemberLockout
	st.NotifyPasswordChange = s.NotifyPasswordChange
	st.NotifyAdminsNewMember = s.NotifyAdminsNewMember
	st.RequireVerifiedEmail = s.RequireVerifiedEmail
}

// Settings returns the organisation's settings.
func (s *Service) Settings(ctx context.Context, a Actor) (Settings, error) {
	o, err := s.Store.OrganisationByID(ctx, a.OrgID)
	return SettingsOf(o), err
}

// UpdateSettings saves every setting or, if any is invalid, none.
func (s *Service) UpdateSettings(ctx context.Context, a Actor, in Settings) error {
	if errs := in.Validate(); len(errs) > 0 {
		return &Refused{Fields: errs}
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		o, err := s.Store.LockOrganisation(ctx, a.OrgID)
		if err != nil {
			return err
		}
		before := SettingsOf(o)
		in.apply(&o)
		if err := s.Store.UpdateOrganisation(ctx, o); err != nil {
			return err
		}
		e := s.auditEvent(a, audit.SettingsChange)
		e.Detail = changedSettings(before, SettingsOf(o))
		return s.Store.AppendAuditEvent(ctx, &e)
	})
	if errors.Is(err, store.ErrConflict) {
		return refuse("name", "Another organisation already has this name.")
	}
	return err
}

// changedSettings names the settings that differ, for the audit log.
func changedSettings(a, b Settings) string {
	var changed []string
	add := func(name string, differ bool) {
		if differ {
			changed = append(changed, name)
		}
	}
	add("name", a.Name != b.Name)
	add("sign-in URL", a.SignInURL != b.SignInURL)
	add("password minimum length", a.PasswordMinLength != b.PasswordMinLength)
	add("lockout", a.LockoutThreshold != b.LockoutThreshold || a.LockoutMinutes != b.LockoutMinutes)
	add("session lifetimes", a.SessionIdleMinutes != b.SessionIdleMinutes || a.SessionAbsoluteHours != b.SessionAbsoluteHours ||
		a.RememberMeIdleDays != b.RememberMeIdleDays || a.RememberMeDays != b.RememberMeDays)
	add("registration lifetime", a.RegistrationHours != b.RegistrationHours)
	add("unlinked member removal", a.UnlinkedRemovalDays != b.UnlinkedRemovalDays)
	add("notifications", a.NotifyMemberLockout != b.NotifyMemberLockout || a.NotifyPasswordChange != b.NotifyPasswordChange ||
		a.NotifyAdminsNewMember != b.NotifyAdminsNewMember)
	add("email verification", a.RequireVerifiedEmail != b.RequireVerifiedEmail)
	if len(changed) == 0 {
		return "no change"
	}
	return "changed " + strings.Join(changed, ", ")
}

// SignInPage returns the organisation's URL name and the address of its
// own sign-in page, on its official address (as emailed links are).
func (s *Service) SignInPage(ctx context.Context, a Actor) (urlName, address string, err error) {
	o, err := s.Store.OrganisationByID(ctx, a.OrgID)
	if err != nil {
		return "", "", err
	}
	path := web.OrganisationSignInPath(o.URLName)
	if s.Links == nil {
		return o.URLName, path, nil
	}
	return o.URLName, s.Links.BaseURL(o) + path, nil
}

// Licences reports the seats in use and the organisation's total.
func (s *Service) Licences(ctx context.Context, a Actor) (used, total int, err error) {
	o, err := s.Store.OrganisationByID(ctx, a.OrgID)
	if err != nil {
		return 0, 0, err
	}
	used, err = s.Store.LicencesInUse(ctx, a.OrgID)
	return used, o.Licences, err
}

// SetLicences is the operators' command: the total may not fall below the
// seats in use.
func (s *Service) SetLicences(ctx context.Context, orgID int64, n int) error {
	if n < 0 || n > 1000000 {
		return refuse("licences", "licences must be from 0 to 1000000")
	}
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		o, err := s.Store.LockOrganisation(ctx, orgID)
		if err != nil {
			return err
		}
		used, err := s.Store.LicencesInUse(ctx, orgID)
		if err != nil {
			return err
		}
		if n < used {
			return refuse("licences", "%s has %d licensed members: remove licences in Team Members before lowering the total to %d", o.Name, used, n)
		}
		if err := s.Store.SetLicences(ctx, orgID, n); err != nil {
			return err
		}
		e := store.AuditEvent{OrgID: orgID, At: s.Now(), Kind: audit.SettingsChange, Actor: audit.ActorCommandLine,
			Detail: fmt.Sprintf("licences %d → %d", o.Licences, n)}
		return s.Store.AppendAuditEvent(ctx, &e)
	})
}

// SetURLName is the operators' command: the organisation's URL name, which
// names it in addresses (its sign-in page, its issuer), so administrators
// cannot change it. The change is recorded in the audit log.
func (s *Service) SetURLName(ctx context.Context, orgID int64, urlName string) error {
	if err := store.ValidURLName(urlName); err != nil {
		return refuse("url_name", "%v", err)
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		o, err := s.Store.LockOrganisation(ctx, orgID)
		if err != nil || o.URLName == urlName {
			return err
		}
		if err := s.Store.SetURLName(ctx, orgID, urlName); err != nil {
			return err
		}
		e := store.AuditEvent{OrgID: orgID, At: s.Now(), Kind: audit.SettingsChange, Actor: audit.ActorCommandLine,
			Detail: fmt.Sprintf("URL name %s → %s", o.URLName, urlName)}
		return s.Store.AppendAuditEvent(ctx, &e)
	})
	if errors.Is(err, store.ErrConflict) {
		return refuse("url_name", "URL name %q belongs to another organisation", urlName)
	}
	return err
}
