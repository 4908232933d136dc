// Package registration is how a Site Administrator registers a person for
// a portal, and how that person sets up or links an account: the emailed
// link's Step 1 (create an IMS Login Service account: choose a password)
// and Step 2 (link an account: sign in with one of the organisation's login
// services). Links are the single-use hashed link tokens of package token
// (purpose "registration"), bound to one member; a new registration voids
// the older ones.
package registration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/linkmail"
	"imslogin/internal/mail"
	"imslogin/internal/membership"
	"imslogin/internal/portal"
	"imslogin/internal/store"
	"imslogin/internal/token"
)

// Store is what registering reads and writes.
type Store interface {
	store.Transactor
	store.Registrations
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	CreateMember(ctx context.Context, m *store.Member) error
	ChangeMemberEmail(ctx context.Context, orgID, memberID int64, email string) error
	PortalByClientID(ctx context.Context, clientID string) (store.Portal, error)
	PortalByID(ctx context.Context, orgID, id int64) (store.Portal, error)
	UpdatePortal(ctx context.Context, p store.Portal) error
	membership.Seats
	UsersStore
	token.Issuer
	mail.Queue
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// Service registers people and sends their registration emails. Callers
// check the portals.register permission first.
type Service struct {
	Store Store
	Links *linkmail.Sender // for the organisation's link address
	Now   func() time.Time
}

// By is who registers, as the audit log records it.
type By struct {
	OrgID  int64
	Actor  string
	Origin audit.Origin
}

// Input is a person to register.
type Input struct {
	PortalClientID string
	Email          string
	Name           string
	Role           store.Role // empty: member
}

// Invalid is input refused, with a sentence per field.
type Invalid struct{ Fields map[string]string }

func (e *Invalid) Error() string {
	var parts []string
	for _, f := range []string{"portal", "email", "name", "role", "licensed", ""} {
		if m := e.Fields[f]; m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, " ")
}

func refuse(field, msg string) *Invalid { return &Invalid{Fields: map[string]string{field: msg}} }

// DefaultLifetime is how long a registration works when the organisation
// has no lifetime of its own.
const DefaultLifetime = 7 * 24 * time.Hour

func (in Input) check() *Invalid {
	f := map[string]string{}
	if err := membership.ValidateEmail(in.Email); err != nil {
		f["email"] = "Enter the person's email address, such as jane@example.org."
	}
	if err := membership.ValidateName("name", in.Name); err != nil {
		f["name"] = "Enter the person's name (at most 100 characters)."
	}
	if !in.Role.Valid() {
		f["role"] = "Choose the role: member, administrator or owner."
	}
	if len(f) > 0 {
		return &Invalid{Fields: f}
	}
	return nil
}

// Register creates the person's profile unlinked, allows it into the
// portal and sends the registration email, all in one transaction.
func (s *Service) Register(ctx context.Context, by By, in Input) (store.Member, store.Registration, error) {
	in.Email, in.Name = strings.ToLower(strings.TrimSpace(in.Email)), strings.TrimSpace(in.Name)
	if in.Role == "" {
		in.Role = store.RoleMember
	}
	if bad := in.check(); bad != nil {
		return store.Member{}, store.Registration{}, bad
	}
	org, err := s.Store.OrganisationByID(ctx, by.OrgID)
	if err != nil {
		return store.Member{}, store.Registration{}, err
	}
	p, err := s.Store.PortalByClientID(ctx, strings.TrimSpace(in.PortalClientID))
	if errors.Is(err, store.ErrNotFound) || err == nil && p.OrgID != org.ID {
		return store.Member{}, store.Registration{}, refuse("portal", "Choose one of the organisation's portals.")
	}
	if err != nil {
		return store.Member{}, store.Registration{}, err
	}
	now := s.Now()
	m := store.Member{OrgID: org.ID, Email: in.Email, Name: in.Name, Role: in.Role, Status: store.StatusInvited,
		Licensed: true, CreatedAt: now}
	var reg store.Registration
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := membership.CheckLicenceFree(ctx, s.Store, org.ID); err != nil {
			return err
		}
		if err := s.Store.CreateMember(ctx, &m); err != nil {
			return err
		}
		if err := allowInto(ctx, s.Store, p, m, now); err != nil {
			return err
		}
		e := s.event(by, now, audit.MemberAdd, m)
		e.Detail = fmt.Sprintf("registered for portal %q, role %s", p.Name, m.Role)
		if err := s.Store.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
		reg, err = s.send(ctx, by, org, m, p, store.Registration{CountFrom: now})
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return m, reg, refuse("email", in.Email+" is already a member of "+org.Name+".")
	}
	var field *membership.FieldError
	if errors.As(err, &field) {
		return m, reg, refuse(field.Field, strings.ToUpper(field.Message[:1])+field.Message[1:]+".")
	}
	return m, reg, err
}

// allowInto lets m use p: added to a portal open to chosen members; a
// portal open to some roles must already allow m's role.
func allowInto(ctx context.Context, st Store, p store.Portal, m store.Member, now time.Time) error {
	switch p.Access {
	case store.PortalAccessMembers:
		if slices.Contains(p.MemberIDs, m.ID) {
			return nil
		}
		p.MemberIDs, p.UpdatedAt = append(p.MemberIDs, m.ID), now
		return st.UpdatePortal(ctx, p)
	case store.PortalAccessRoles:
		if !portal.MayUse(p, m) {
			return refuse("role", "The portal "+p.Name+" is open to some roles only: choose one of them.")
		}
	}
	return nil
}

// SendNew sends a fresh registration email to the member, to email if it
// is given and differs (the member's address changes), with a new expiry;
// every older link of the member stops working.
func (s *Service) SendNew(ctx context.Context, by By, memberID int64, email string) (store.Registration, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email != "" && membership.ValidateEmail(email) != nil {
		return store.Registration{}, refuse("email", "Enter a valid email address, such as jane@example.org.")
	}
	org, err := s.Store.OrganisationByID(ctx, by.OrgID)
	if err != nil {
		return store.Registration{}, err
	}
	var reg store.Registration
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := s.Store.MemberByID(ctx, org.ID, memberID)
		if err != nil {
			return err
		}
		if email != "" && email != m.Email {
			if err := s.Store.ChangeMemberEmail(ctx, org.ID, m.ID, email); err != nil {
				return err
			}
			e := s.event(by, s.Now(), audit.EmailChange, m)
			e.Detail = "to " + email + " for a new registration"
			if err := s.Store.AppendAuditEvent(ctx, &e); err != nil {
				return err
			}
			m.Email = email
		}
		prev, err := s.Store.RegistrationOf(ctx, org.ID, m.ID)
		if errors.Is(err, store.ErrNotFound) {
			prev, err = store.Registration{CountFrom: s.Now()}, nil
		}
		if err != nil {
			return err
		}
		var p store.Portal
		if prev.PortalID != 0 {
			if p, err = s.Store.PortalByID(ctx, org.ID, prev.PortalID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		reg, err = s.send(ctx, by, org, m, p, prev)
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return reg, refuse("email", email+" is already another member's address in "+org.Name+".")
	}
	return reg, err
}

// send issues a registration link (voiding the member's older ones),
// queues its email and records where it went; prev's count of days until
// removal is kept.
func (s *Service) send(ctx context.Context, by By, org store.Organisation, m store.Member, p store.Portal,
	prev store.Registration) (store.Registration, error) {
	now := s.Now()
	lifetime := org.Settings.RegistrationLifetime
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	raw, err := token.Issue(ctx, s.Store, m, store.LinkRegistration, now, lifetime)
	if err != nil {
		return store.Registration{}, err
	}
	reg := store.Registration{OrgID: org.ID, MemberID: m.ID, PortalID: p.ID, Email: m.Email, SentAt: now,
		ExpiresAt: now.Add(lifetime), CountFrom: prev.CountFrom}
	if reg.CountFrom.IsZero() {
		reg.CountFrom = now
	}
	portalName := p.Name
	if portalName == "" {
		portalName = org.Name
	}
	base := s.Links.BaseURL(org)
	err = mail.Enqueue(ctx, s.Store, mail.Message{OrgID: org.ID, To: m.Email, Kind: mail.Registration, At: now,
		Data: mail.Data{Organisation: org.Name, Name: m.Name, LogoURL: s.Links.LogoURL(org), Link: base + Step2Path + "?token=" + raw,
			ValidFor: linkmail.Words(lifetime), Extra: map[string]string{"step1": base + Step1Path + "?token=" + raw,
				"portal": portalName, "expires": ExpiryWords(reg.ExpiresAt)}}})
	if err != nil {
		return reg, err
	}
	if err := s.Store.PutRegistration(ctx, reg); err != nil {
		return reg, err
	}
	e := s.event(by, now, audit.RegistrationSend, m)
	e.Detail = fmt.Sprintf("to %s for %s, expires %s", m.Email, portalName, ExpiryWords(reg.ExpiresAt))
	return reg, s.Store.AppendAuditEvent(ctx, &e)
}

// ExpiryWords says when a registration expires, as its email does.
func ExpiryWords(t time.Time) string { return t.UTC().Format("Monday 2 January 2006 at 15:04 UTC") }

func (s *Service) event(by By, at time.Time, kind string, m store.Member) store.AuditEvent {
	e := audit.About(audit.Event(by.Origin, at, by.OrgID, kind), m)
	e.Actor = by.Actor
	return e
}

// The links of a registration email.
const (
	Step1Path = "/register/password" // create an IMS Login Service account
	Step2Path = "/register"          // link an account
)
