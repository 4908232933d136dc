package admin

import (
	"context"
	"fmt"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/session"
	"imslogin/internal/store"
)

// An Action is something an administrator does to one member from Team
// Members or the API: each checks its own rules and records itself.
type Action string

const (
	ActionDisable          Action = "disable"
	ActionEnable           Action = "enable"
	ActionUnlock           Action = "unlock"
	ActionSignOut          Action = "signout"
	ActionPasswordReset    Action = "password-reset"
	ActionResendInvitation Action = "resend-invitation"
)

// Do runs an action on member id and returns the confirmation to show.
func (s *Service) Do(ctx context.Context, a Actor, id int64, action Action) (string, error) {
	var done string
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		org, err := s.Store.LockOrganisation(ctx, a.OrgID)
		if err != nil {
			return err
		}
		m, err := s.Store.MemberByID(ctx, a.OrgID, id)
		if err != nil {
			return err
		}
		// The Owner rule covers every action: a password reset, a sign-out or
		// a reset of second factors is as much a way into an Owner's account
		// as a change of role. API tokens are never Owners.
		if m.Role == store.RoleOwner && !a.Owner {
			return fmt.Errorf("%w: only an Owner can act on an Owner's account", ErrForbidden)
		}
		var e store.AuditEvent
		switch action {
		case ActionDisable:
			done, e, err = s.disable(ctx, s.Store, a, m)
		case ActionEnable:
			done, e, err = s.enable(ctx, s.Store, a, m)
		case ActionUnlock:
			done, e, err = s.unlock(ctx, s.Store, a, m)
		case ActionSignOut:
			e = about(s.auditEvent(a, audit.SignoutEverywhere), m)
			e.Detail = "by an administrator"
			done, err = fmt.Sprintf("%s has been signed out everywhere.", m.Name), s.endEverywhere(ctx, a.OrgID, m.ID)
		case ActionPasswordReset:
			done, e, err = s.passwordReset(ctx, s.Store, a, org, m)
		case ActionResendInvitation:
			done, e, err = s.resendInvitation(ctx, s.Store, a, org, m)
		case ActionResetMFA:
			done, e, err = s.resetMFA(ctx, s.Store, a, org, m)
		case ActionForgetBrowsers:
			done, e, err = s.forgetBrowsers(ctx, s.Store, a, m)
		default:
			return refuse("", "unknown action %q", action)
		}
		if err != nil {
			return err
		}
		return s.Store.AppendAuditEvent(ctx, &e)
	})
	return done, err
}

// disable ends every session of the member in the same transaction, so
// they are signed out everywhere the moment the change commits.
func (s *Service) disable(ctx context.Context, tx Store, a Actor, m store.Member) (string, store.AuditEvent, error) {
	e := about(s.auditEvent(a, audit.MemberChange), m)
	if m.ID == a.MemberID {
		return "", e, refuse("", "You cannot disable your own account.")
	}
	if m.Status == store.StatusDisabled {
		return "", e, refuse("", "%s is already disabled.", m.Name)
	}
	if m.Role == store.RoleOwner {
		if err := keepAnOwner(ctx, tx, a.OrgID, m); err != nil {
			return "", e, refuse("", "%s", err.(*Refused).Fields["role"])
		}
	}
	if err := tx.SetMemberStatus(ctx, a.OrgID, m.ID, store.StatusDisabled); err != nil {
		return "", e, err
	}
	e.Detail = "disabled; every session ended"
	return fmt.Sprintf("%s has been disabled and signed out everywhere.", m.Name), e, s.endEverywhere(ctx, a.OrgID, m.ID)
}

// endEverywhere ends every session and token of the member, inside the
// action's transaction, and has their portals told.
func (s *Service) endEverywhere(ctx context.Context, orgID, memberID int64) error {
	if err := s.Store.DeleteMemberSessions(ctx, orgID, memberID); err != nil {
		return err
	}
	return session.Notify(ctx, s.Ended, session.Ended{OrgID: orgID, MemberID: memberID, Everything: true})
}

// enable returns a member to active, or to invited if they never set a password.
func (s *Service) enable(ctx context.Context, tx Store, a Actor, m store.Member) (string, store.AuditEvent, error) {
	e := about(s.auditEvent(a, audit.MemberChange), m)
	if m.Status != store.StatusDisabled {
		return "", e, refuse("", "%s is not disabled.", m.Name)
	}
	status := store.StatusActive
	if m.PasswordHash == "" {
		status = store.StatusInvited
	}
	e.Detail = "re-enabled"
	return fmt.Sprintf("%s has been re-enabled.", m.Name), e, tx.SetMemberStatus(ctx, a.OrgID, m.ID, status)
}

func (s *Service) unlock(ctx context.Context, tx Store, a Actor, m store.Member) (string, store.AuditEvent, error) {
	e := about(s.auditEvent(a, audit.Unlock), m)
	locked, err := (&lockout.Guard{Store: tx, Now: s.Now}).Unlock(ctx, lockout.Of(a.OrgID, m.Email))
	if err != nil {
		return "", e, err
	}
	if !locked {
		return "", e, refuse("", "%s is not locked.", m.Name)
	}
	e.Detail = "by an administrator"
	return fmt.Sprintf("%s has been unlocked and can sign in again.", m.Name), e, nil
}

func (s *Service) passwordReset(ctx context.Context, tx Store, a Actor, org store.Organisation, m store.Member) (string, store.AuditEvent, error) {
	e := about(s.auditEvent(a, audit.PasswordReset), m)
	switch m.Status {
	case store.StatusInvited:
		return "", e, refuse("", "%s has not set a password yet: resend the invitation instead.", m.Name)
	case store.StatusDisabled:
		return "", e, refuse("", "%s is disabled: re-enable them first.", m.Name)
	}
	e.Detail = "reset link sent by an administrator"
	return fmt.Sprintf("A password reset email has been sent to %s.", m.Email), e, s.Links.Reset(ctx, tx, org, m)
}

func (s *Service) resendInvitation(ctx context.Context, tx Store, a Actor, org store.Organisation, m store.Member) (string, store.AuditEvent, error) {
	e := about(s.auditEvent(a, audit.MemberChange), m)
	if m.Status != store.StatusInvited {
		return "", e, refuse("", "%s has already accepted the invitation.", m.Name)
	}
	e.Detail = "invitation resent; earlier links no longer work"
	return fmt.Sprintf("A new invitation has been sent to %s.", m.Email), e, s.Links.Invite(ctx, tx, org, m)
}

// actionPermissions is the permission each action needs.
var actionPermissions = []struct {
	Action Action
	Perm   access.Permission
}{
	{ActionDisable, access.MembersWrite},
	{ActionEnable, access.MembersWrite},
	{ActionResendInvitation, access.MembersWrite},
	{ActionUnlock, access.MembersSecurity},
	{ActionSignOut, access.MembersSecurity},
	{ActionPasswordReset, access.MembersSecurity},
	{ActionResetMFA, access.MembersSecurity},
	{ActionForgetBrowsers, access.MembersSecurity},
}
