// Package membership creates organisations and adds their members, with the
// validation rules shared by the command line and (later) the admin console.
package membership

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"imslogin/internal/audit"
	"imslogin/internal/linkmail"
	"imslogin/internal/password"
	"imslogin/internal/store"
)

// Service applies the rules for creating organisations and members.
type Service struct {
	Store  store.Store
	Hasher *password.Hasher
	Now    func() time.Time
	// Invitations sends the invitation email to a member added without a
	// password, in the transaction that adds them.
	Invitations *linkmail.Sender
}

// ErrInvalid wraps every validation failure, so callers can tell bad input
// from a failing database.
var ErrInvalid = errors.New("invalid input")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// CreateOrganisation creates an organisation with default settings.
func (s *Service) CreateOrganisation(ctx context.Context, name string) (store.Organisation, error) {
	name = strings.TrimSpace(name)
	if err := validateName("organisation name", name); err != nil {
		return store.Organisation{}, err
	}
	o := store.Organisation{Name: name, Settings: store.DefaultOrganisationSettings(), CreatedAt: s.Now()}
	err := s.Store.CreateOrganisation(ctx, &o)
	if errors.Is(err, store.ErrConflict) {
		return o, invalid("an organisation named %q already exists", name)
	}
	return o, err
}

// NewMember is what an operator or administrator gives to add a member.
type NewMember struct {
	Organisation string
	Email        string
	Name         string
	Role         store.Role
	// Password, when set, makes the member active at once; without one
	// the member is invited: they get an email with a link to verify their
	// address and set a password, and cannot sign in until they do.
	Password      string
	EmailVerified bool
	DataAccess    bool
	// Actor is who adds the member, for the audit log; empty means an
	// operator at the command line.
	Actor string
}

// AddMember validates everything before writing anything.
func (s *Service) AddMember(ctx context.Context, n NewMember) (store.Member, error) {
	org, err := s.Store.OrganisationByName(ctx, n.Organisation)
	if errors.Is(err, store.ErrNotFound) {
		return store.Member{}, invalid("no organisation named %q", strings.TrimSpace(n.Organisation))
	}
	if err != nil {
		return store.Member{}, err
	}
	m := store.Member{
		OrgID: org.ID, Email: strings.ToLower(strings.TrimSpace(n.Email)), Name: strings.TrimSpace(n.Name),
		Role: n.Role, Status: store.StatusInvited, Licensed: true, DataAccess: n.DataAccess,
		EmailVerified: n.EmailVerified, CreatedAt: s.Now(),
	}
	var problems []error
	if err := ValidateEmail(m.Email); err != nil {
		problems = append(problems, err)
	}
	if err := validateName("name", m.Name); err != nil {
		problems = append(problems, err)
	}
	if !m.Role.Valid() {
		problems = append(problems, invalid("role %q: want owner, administrator or member", n.Role))
	}
	if n.Password == "" && s.Invitations == nil {
		return m, errors.New("membership: no invitation sender to invite a member without a password")
	}
	if n.Password != "" {
		policy := password.ForOrganisation(nil)
		if err := policy.Check(n.Password, password.Context{Email: m.Email, OrganisationName: org.Name}); err != nil {
			problems = append(problems, invalid("password: %v", err))
		}
	}
	if len(problems) > 0 {
		return m, errors.Join(problems...)
	}
	if _, err := s.Store.MemberByEmail(ctx, org.ID, m.Email); err == nil {
		return m, invalid("%s is already a member of %s", m.Email, org.Name)
	}
	if n.Password != "" {
		if m.PasswordHash, err = s.Hasher.Hash(ctx, n.Password); err != nil {
			return m, err
		}
		m.Status = store.StatusActive
	}
	err = s.Store.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateMember(ctx, &m); err != nil {
			return err
		}
		actor := n.Actor
		if actor == "" {
			actor = audit.ActorCommandLine
		}
		if err := tx.AppendAuditEvent(ctx, &store.AuditEvent{OrgID: org.ID, At: m.CreatedAt, Kind: audit.MemberAdd,
			MemberID: m.ID, Email: m.Email, Actor: actor, Detail: fmt.Sprintf("role %s, status %s", m.Role, m.Status)}); err != nil {
			return err
		}
		if m.Status == store.StatusInvited {
			return s.Invitations.Invite(ctx, tx, org, m)
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return m, invalid("%s is already a member of %s", m.Email, org.Name)
	}
	return m, err
}

// ValidateEmail accepts a bare address such as ana@example.org.
func ValidateEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") ||
		len(email) > 254 {
		return invalid("email %q is not a valid address like name@example.org", email)
	}
	return nil
}

func validateName(what, name string) error {
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return invalid("%s must not be empty", what)
	case n > 200:
		return invalid("%s is too long (%d characters, at most 200)", what, n)
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return invalid("%s must not contain control characters", what)
	}
	return nil
}
