// Package linkmail writes the emails of the password lifecycle (invitation,
// reset link, password-changed notice) to the outbox, with links built only
// from configured addresses, never from a request's Host header.
package linkmail

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"imslogin/internal/mail"
	"imslogin/internal/store"
	"imslogin/internal/token"
	"imslogin/web"
)

// Default lifetimes of emailed links.
const (
	DefaultInvitationLifetime = 7 * 24 * time.Hour
	DefaultResetLifetime      = time.Hour
)

// Outbox is where the emails and their links are written: every method
// runs inside the transaction of the change it reports when ctx carries one.
type Outbox interface {
	token.Issuer
	mail.Queue
}

// Sender composes the emails.
type Sender struct {
	// PublicURL is the server's configured address, used for organisations
	// without a sign-in URL of their own.
	PublicURL          string
	InvitationLifetime time.Duration
	ResetLifetime      time.Duration
	Now                func() time.Time
}

// BaseURL is where links for org point: its sign-in URL, else the public URL.
func (s *Sender) BaseURL(org store.Organisation) string {
	if org.SignInURL != "" {
		return strings.TrimSuffix(org.SignInURL, "/")
	}
	return strings.TrimSuffix(s.PublicURL, "/")
}

// LogoURL is where org's logo is served, at its configured address; ""
// when no address is configured (the email then shows no logo).
func (s *Sender) LogoURL(org store.Organisation) string {
	base := s.BaseURL(org)
	if base == "" {
		return ""
	}
	return base + web.BrandLogoPath(org.URLName)
}

// OfficialHost is the host (and port) org's members must use: a password
// reset is sent only for requests that arrive there.
func (s *Sender) OfficialHost(org store.Organisation) string {
	u, err := url.Parse(s.BaseURL(org))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// Invite issues an invitation link (voiding any earlier one) and queues the
// invitation email.
func (s *Sender) Invite(ctx context.Context, tx Outbox, org store.Organisation, m store.Member) error {
	return s.sendLink(ctx, tx, org, m, store.LinkInvitation, "/invitation", mail.Invitation, s.lifetime(s.InvitationLifetime, DefaultInvitationLifetime))
}

// Reset issues a password reset link and queues its email.
func (s *Sender) Reset(ctx context.Context, tx Outbox, org store.Organisation, m store.Member) error {
	return s.sendLink(ctx, tx, org, m, store.LinkReset, "/reset-password", mail.PasswordReset, s.lifetime(s.ResetLifetime, DefaultResetLifetime))
}

// PasswordChanged queues the notice sent after a change or reset; how is
// "changed" or "reset". Organisations may turn the notice off (Details).
func (s *Sender) PasswordChanged(ctx context.Context, tx Outbox, org store.Organisation, m store.Member, how string) error {
	if !org.Settings.NotifyPasswordChange {
		return nil
	}
	return mail.Enqueue(ctx, tx, mail.Message{OrgID: org.ID, To: m.Email, Kind: mail.PasswordChanged, At: s.Now(),
		Data: mail.Data{Organisation: org.Name, Name: m.Name, LogoURL: s.LogoURL(org), Extra: map[string]string{"how": how}}})
}

func (s *Sender) sendLink(ctx context.Context, tx Outbox, org store.Organisation, m store.Member,
	purpose store.LinkPurpose, path, kind string, lifetime time.Duration) error {
	now := s.Now()
	raw, err := token.Issue(ctx, tx, m, purpose, now, lifetime)
	if err != nil {
		return err
	}
	link := s.BaseURL(org) + path + "?token=" + raw
	return mail.Enqueue(ctx, tx, mail.Message{OrgID: org.ID, To: m.Email, Kind: kind, At: now,
		Data: mail.Data{Organisation: org.Name, Name: m.Name, Link: link, ValidFor: Words(lifetime), LogoURL: s.LogoURL(org)}})
}

func (s *Sender) lifetime(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}

// Words says a lifetime the way an email does: "7 days", "1 hour".
func Words(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(max(1, int(d/time.Minute)), "minute")
	}
}
