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
	"unicode"
	"unicode/utf8"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/linkmail"
	"imslogin/internal/lockout"
	outbox "imslogin/internal/mail"
	"imslogin/internal/password"
	"imslogin/internal/store"
)

// Store is what creating organisations and members, and unlocking them,
// reads and writes.
type Store interface {
	CreateOrganisation(ctx context.Context, o *store.Organisation) error
	OrganisationByName(ctx context.Context, name string) (store.Organisation, error)
	OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error)
	CreateMember(ctx context.Context, m *store.Member) error
	MemberByEmail(ctx context.Context, orgID int64, email string) (store.Member, error)
	RoleByID(ctx context.Context, orgID, id int64) (store.CustomRole, error)
	Seats
	Administrators(ctx context.Context, orgID int64, limit int) ([]store.Member, error)
	linkmail.Outbox
	lockout.Store
}

// Seats counts licences under the organisation's lock.
type Seats interface {
	LockOrganisation(ctx context.Context, orgID int64) (store.Organisation, error)
	LicencesInUse(ctx context.Context, orgID int64) (int, error)
}

// Service applies the rules for creating organisations and members.
type Service struct {
	Store  Store
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

// FieldError is bad input in one field of a form, so a page can show the
// message beside it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return ErrInvalid.Error() + ": " + e.Message }
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldInvalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Fields collects the field messages of err (one error or several joined);
// messages of other errors go under "".
func Fields(err error) map[string]string {
	out := map[string]string{}
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *FieldError
		if errors.As(e, &fe) {
			if _, seen := out[fe.Field]; !seen {
				out[fe.Field] = fe.Message
			}
			return
		}
		if out[""] == "" {
			out[""] = strings.TrimPrefix(e.Error(), ErrInvalid.Error()+": ")
		}
	}
	walk(err)
	return out
}

// CreateOrganisation creates an organisation with default settings and a
// URL name derived from its name.
func (s *Service) CreateOrganisation(ctx context.Context, name string) (store.Organisation, error) {
	return s.AddOrganisation(ctx, NewOrganisation{Name: name})
}

// NewOrganisation is what an operator gives to create an organisation.
type NewOrganisation struct {
	Name string
	// URLName, when set, is the organisation's URL name, refused if
	// invalid or taken; empty derives it from the name (store.URLNameOf),
	// with -2, -3… when that is taken.
	URLName string
}

// AddOrganisation validates everything, then creates the organisation with
// default settings.
func (s *Service) AddOrganisation(ctx context.Context, n NewOrganisation) (store.Organisation, error) {
	name, urlName := strings.TrimSpace(n.Name), strings.TrimSpace(n.URLName)
	o := store.Organisation{Name: name, URLName: urlName, Settings: store.DefaultOrganisationSettings(),
		Licences: store.DefaultLicences, CreatedAt: s.Now()}
	if problems := s.checkNewOrganisation(ctx, o, n.URLName != ""); len(problems) > 0 {
		return o, errors.Join(problems...)
	}
	err := s.Store.CreateOrganisation(ctx, &o)
	if errors.Is(err, store.ErrConflict) { // another creation came first
		if _, byName := s.Store.OrganisationByName(ctx, name); byName == nil {
			return o, fieldInvalid("name", "an organisation named %q already exists", name)
		}
		return o, fieldInvalid("url_name", "another organisation has just taken the URL name: try again")
	}
	return o, err
}

func (s *Service) checkNewOrganisation(ctx context.Context, o store.Organisation, explicitURLName bool) []error {
	var problems []error
	if err := ValidateName("organisation name", o.Name); err != nil {
		problems = append(problems, err)
	} else if _, err := s.Store.OrganisationByName(ctx, o.Name); err == nil {
		problems = append(problems, fieldInvalid("name", "an organisation named %q already exists", o.Name))
	}
	if !explicitURLName {
		return problems
	}
	if err := store.ValidURLName(o.URLName); err != nil {
		return append(problems, fieldInvalid("url_name", "%v", err))
	}
	if other, err := s.Store.OrganisationByURLName(ctx, o.URLName); err == nil {
		problems = append(problems, fieldInvalid("url_name", "URL name %q is taken by the organisation %q", o.URLName, other.Name))
	}
	return problems
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
	RoleID        int64 // a custom role; Role must then be RoleMember
	Unlicensed    bool  // add the member without a licence
	// Actor is who adds the member, for the audit log; empty means an
	// operator at the command line.
	Actor string
}

// AddMember validates everything before writing anything, then checks the
// licence limit, creates the member, records it and sends any invitation
// in one transaction.
// ErrCannotInvite means a member without a password was added where no
// invitation can be sent.
var ErrCannotInvite = errors.New("membership: no invitation sender to invite a member without a password")

func (s *Service) AddMember(ctx context.Context, n NewMember) (store.Member, error) {
	org, err := s.Store.OrganisationByName(ctx, n.Organisation)
	if errors.Is(err, store.ErrNotFound) {
		return store.Member{}, fieldInvalid("organisation", "no organisation named %q", strings.TrimSpace(n.Organisation))
	}
	if err != nil {
		return store.Member{}, err
	}
	m := store.Member{
		OrgID: org.ID, Email: strings.ToLower(strings.TrimSpace(n.Email)), Name: strings.TrimSpace(n.Name),
		Role: n.Role, RoleID: n.RoleID, Status: store.StatusInvited, Licensed: !n.Unlicensed, DataAccess: n.DataAccess,
		EmailVerified: n.EmailVerified, CreatedAt: s.Now(),
	}
	if problems := s.checkNewMember(ctx, org, m, n.Password); len(problems) > 0 {
		return m, errors.Join(problems...)
	}
	if n.Password == "" && s.Invitations == nil {
		return m, ErrCannotInvite
	}
	if n.Password != "" {
		if m.PasswordHash, err = s.Hasher.Hash(ctx, n.Password); err != nil {
			return m, err
		}
		m.Status = store.StatusActive
	}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		if m.Licensed {
			if err := CheckLicenceFree(ctx, s.Store, org.ID); err != nil {
				return err
			}
		}
		if err := s.Store.CreateMember(ctx, &m); err != nil {
			return err
		}
		actor := n.Actor
		if actor == "" {
			actor = audit.ActorCommandLine
		}
		if err := s.Store.AppendAuditEvent(ctx, &store.AuditEvent{OrgID: org.ID, At: m.CreatedAt, Kind: audit.MemberAdd,
			MemberID: m.ID, Email: m.Email, Actor: actor, Detail: fmt.Sprintf("role %s, status %s", m.Role, m.Status)}); err != nil {
			return err
		}
		if m.Status == store.StatusInvited {
			if err := s.Invitations.Invite(ctx, s.Store, org, m); err != nil {
				return err
			}
		}
		if org.Settings.NotifyAdminsNewMember {
			return notifyAdministrators(ctx, s.Store, org, m, actor, s.Now())
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return m, fieldInvalid("email", "%s is already a member of %s", m.Email, org.Name)
	}
	return m, err
}

func (s *Service) checkNewMember(ctx context.Context, org store.Organisation, m store.Member, pw string) []error {
	var problems []error
	if err := ValidateEmail(m.Email); err != nil {
		problems = append(problems, err)
	}
	if err := ValidateName("name", m.Name); err != nil {
		problems = append(problems, err)
	}
	if !m.Role.Valid() {
		problems = append(problems, fieldInvalid("role", "role %q: want owner, administrator or member", m.Role))
	} else if m.RoleID != 0 {
		if _, err := s.Store.RoleByID(ctx, org.ID, m.RoleID); err != nil || m.Role != store.RoleMember {
			problems = append(problems, fieldInvalid("role", "no such custom role"))
		}
	}
	if pw != "" {
		policy := password.ForOrganisation(nil).Raised(org.Settings.PasswordMinLength)
		if err := policy.Check(pw, password.Context{Email: m.Email, OrganisationName: org.Name}); err != nil {
			problems = append(problems, fieldInvalid("password", "password: %v", err))
		}
	}
	if len(problems) == 0 {
		if _, err := s.Store.MemberByEmail(ctx, org.ID, m.Email); err == nil {
			problems = append(problems, fieldInvalid("email", "%s is already a member of %s", m.Email, org.Name))
		}
	}
	return problems
}

// CheckLicenceFree refuses when every licence of the organisation is in
// use. Call it inside the transaction that assigns the licence: it locks
// the organisation, so two assignments cannot both take the last seat.
func CheckLicenceFree(ctx context.Context, tx Seats, orgID int64) error {
	org, err := tx.LockOrganisation(ctx, orgID)
	if err != nil {
		return err
	}
	used, err := tx.LicencesInUse(ctx, orgID)
	if err != nil {
		return err
	}
	if used >= org.Licences {
		return fieldInvalid("licensed", "all %d licences of %s are in use: remove a licence from another member, or ask the IMS team for more", org.Licences, org.Name)
	}
	return nil
}

// maxNotified bounds the administrators told of a new member.
const maxNotified = 50

// notifyAdministrators tells the organisation's Owners and Administrators
// (other than the new member) that a team member was added, through the
// outbox in the transaction that adds them.
func notifyAdministrators(ctx context.Context, tx Store, org store.Organisation, m store.Member, actor string, at time.Time) error {
	admins, err := tx.Administrators(ctx, org.ID, maxNotified)
	if err != nil {
		return err
	}
	role := access.RoleTitle(m.Role)
	for _, a := range admins {
		if a.ID == m.ID {
			continue
		}
		err := outbox.Enqueue(ctx, tx, outbox.Message{OrgID: org.ID, To: a.Email, Kind: outbox.MemberAdded, At: at,
			Data: outbox.Data{Organisation: org.Name, Name: a.Name, Extra: map[string]string{
				"member": m.Name, "email": m.Email, "role": role, "by": actor}}})
		if err != nil {
			return err
		}
	}
	return nil
}

// ValidateEmail accepts a bare address such as ana@example.org. The
// address syntax allows any non-ASCII character; spaces and control
// characters (U+0085 is a line break to some readers) are refused.
func ValidateEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") ||
		len(email) > 254 || strings.ContainsFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fieldInvalid("email", "email %q is not a valid address like name@example.org", email)
	}
	return nil
}

// ValidateName accepts 1 to 200 characters without control characters.
func ValidateName(what, name string) error {
	field := "name"
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return fieldInvalid(field, "%s must not be empty", what)
	case n > 200:
		return fieldInvalid(field, "%s is too long (%d characters, at most 200)", what, n)
	case strings.ContainsFunc(name, unicode.IsControl): // C0, DEL and C1
		return fieldInvalid(field, "%s must not contain control characters", what)
	}
	return nil
}
