package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"imslogin/internal/access"
	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/membership"
	"imslogin/internal/store"
)

// MemberList is one page of Team Members.
type MemberList struct {
	Rows       []store.MemberRow
	Total      int  // members the search matches
	Capped     bool // more than Total match: counting stopped there
	Next, Prev *store.MemberCursor
}

// ListMembers returns a page of the organisation's members. One more row
// than asked is read to learn whether another page follows.
func (s *Service) ListMembers(ctx context.Context, a Actor, q store.MemberQuery) (MemberList, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	want := q.Limit
	q.Limit++
	rows, err := s.Store.ListMembers(ctx, a.OrgID, q)
	if err != nil {
		return MemberList{}, err
	}
	var list MemberList
	more := len(rows) > want
	if q.Before != nil {
		if more {
			rows = rows[1:]
		}
		list.Rows = rows
		if more {
			list.Prev = cursorOf(rows, 0, q.Sort)
		}
		list.Next = cursorOf(rows, len(rows)-1, q.Sort)
	} else {
		if more {
			rows = rows[:want]
			list.Next = cursorOf(rows, len(rows)-1, q.Sort)
		}
		list.Rows = rows
		if q.After != nil {
			list.Prev = cursorOf(rows, 0, q.Sort)
		}
	}
	list.Total, list.Capped, err = s.countMembers(ctx, a, q, list)
	return list, err
}

// CountCap bounds the count of a search's matches: past it the page says
// "more than 1000" instead of scanning every member.
const CountCap = 1000

// countMembers counts exactly without a search (a count the store keeps);
// with one, the first page already has every match when there is no next
// page, and otherwise the count stops at CountCap.
func (s *Service) countMembers(ctx context.Context, a Actor, q store.MemberQuery, list MemberList) (int, bool, error) {
	switch {
	case q.Search == "":
		n, err := s.Store.CountMembers(ctx, a.OrgID, "", 0)
		return n, false, err
	case q.After == nil && q.Before == nil && list.Next == nil:
		return len(list.Rows), false, nil
	}
	n, err := s.Store.CountMembers(ctx, a.OrgID, q.Search, CountCap)
	if n > CountCap {
		return CountCap, true, err
	}
	return n, false, err
}

func cursorOf(rows []store.MemberRow, i int, sort store.MemberSort) *store.MemberCursor {
	if i < 0 || i >= len(rows) {
		return nil
	}
	c := rows[i].Cursor(sort)
	return &c
}

// MemberDetail is one member as the edit page and the API show them.
type MemberDetail struct {
	store.MemberRow
	RolePerms access.Set // the role's permissions, before individual grants
}

// Member returns one member of the actor's organisation.
func (s *Service) Member(ctx context.Context, a Actor, id int64) (MemberDetail, error) {
	return s.memberDetail(ctx, s.Store, a.OrgID, id)
}

func (s *Service) memberDetail(ctx context.Context, st Store, orgID, id int64) (MemberDetail, error) {
	m, err := st.MemberByID(ctx, orgID, id)
	if err != nil {
		return MemberDetail{}, err
	}
	d := MemberDetail{MemberRow: store.MemberRow{Member: m}, RolePerms: access.Builtin(m.Role)}
	if m.RoleID != 0 {
		r, err := st.RoleByID(ctx, orgID, m.RoleID)
		if err != nil {
			return d, err
		}
		d.RoleName = r.Name
		d.RolePerms, _ = access.ParseList(r.Permissions)
	}
	if s.Lockout != nil {
		d.LockedUntil, err = (&lockout.Guard{Store: st, Now: s.Now}).LockedUntil(ctx, lockout.Of(orgID, m.Email))
	}
	return d, err
}

// RoleKey names a member's role in forms and the API: "owner",
// "administrator", "member", or "role:ID" for a custom role, as portals
// name roles too.
func RoleKey(m store.Member) string { return store.RoleKey(m) }

// parseRoleKey reads a RoleKey: the built-in role, the custom role's ID,
// the role's permissions and, for a custom role, its name.
func parseRoleKey(ctx context.Context, st Store, orgID int64, key string) (store.Role, int64, access.Set, string, error) {
	unknown := refuse("role", "choose one of the roles listed")
	if idText, ok := strings.CutPrefix(key, "role:"); ok {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 {
			return "", 0, 0, "", unknown
		}
		r, err := st.RoleByID(ctx, orgID, id)
		if errors.Is(err, store.ErrNotFound) {
			return "", 0, 0, "", unknown
		}
		if err != nil {
			return "", 0, 0, "", err
		}
		perms, _ := access.ParseList(r.Permissions)
		return store.RoleMember, id, perms, r.Name, nil
	}
	role := store.Role(key)
	if !role.Valid() {
		return "", 0, 0, "", unknown
	}
	return role, 0, access.Builtin(role), "", nil
}

// mayGrant refuses to give away what the actor does not hold: permissions,
// the Owner role, or Sensitive Data Access.
func mayGrant(a Actor, gained access.Set, ownerChange, dataAccessChange bool) error {
	if ownerChange && !a.Owner {
		return fmt.Errorf("%w: only an Owner can make someone an Owner or change an Owner", ErrForbidden)
	}
	if !a.Perms.Covers(gained) {
		return fmt.Errorf("%w: you cannot grant permissions you do not hold (%s)", ErrForbidden,
			strings.Join((gained&^a.Perms).Names(), ", "))
	}
	if dataAccessChange && !a.DataAccess {
		return fmt.Errorf("%w: only members with Sensitive Data Access can grant or remove it", ErrForbidden)
	}
	return nil
}

// NewMemberInput is what an administrator gives to add a team member.
type NewMemberInput struct {
	Email      string `json:"email"`
	Name       string `json:"name"`
	Role       string `json:"role"` // a RoleKey
	Licensed   bool   `json:"licensed"`
	DataAccess bool   `json:"data_access"`
}

// AddMember adds an invited member and sends the invitation email, through
// the same validation the command line uses.
func (s *Service) AddMember(ctx context.Context, a Actor, in NewMemberInput) (store.Member, error) {
	role, roleID, perms, _, err := parseRoleKey(ctx, s.Store, a.OrgID, in.Role)
	if err != nil {
		return store.Member{}, err
	}
	if err := mayGrant(a, perms, role == store.RoleOwner, in.DataAccess); err != nil {
		return store.Member{}, err
	}
	org, err := s.Store.OrganisationByID(ctx, a.OrgID)
	if err != nil {
		return store.Member{}, err
	}
	m, err := s.Members.AddMember(ctx, membership.NewMember{
		Organisation: org.Name, Email: in.Email, Name: in.Name, Role: role, RoleID: roleID,
		Unlicensed: !in.Licensed, DataAccess: in.DataAccess,
		Actor: a.Label,
	})
	return m, refusedFrom(err)
}

// roleName is a built-in role's title, or the custom role's name.
func roleName(role store.Role, custom string) string {
	if custom != "" {
		return custom
	}
	return access.RoleTitle(role)
}

// AccessInput is what an administrator sets on a member.
type AccessInput struct {
	Role        string   `json:"role"` // a RoleKey
	Permissions []string `json:"permissions"`
	Licensed    bool     `json:"licensed"`
	DataAccess  bool     `json:"data_access"`
}

// SetAccess changes a member's role, permissions, licence and data access,
// keeping at least one Owner and within the licences.
func (s *Service) SetAccess(ctx context.Context, a Actor, id int64, in AccessInput) error {
	extra, err := access.ParseList(in.Permissions)
	if err != nil {
		return refuse("permissions", "%v", err)
	}
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Store.LockOrganisation(ctx, a.OrgID); err != nil {
			return err
		}
		old, err := s.memberDetail(ctx, s.Store, a.OrgID, id)
		if err != nil {
			return err
		}
		role, roleID, rolePerms, newRoleName, err := parseRoleKey(ctx, s.Store, a.OrgID, in.Role)
		if err != nil {
			return err
		}
		oldPerms := access.OfMember(old.Member, strings.Join(old.RolePerms.Names(), " "))
		ownerChange := old.Role == store.RoleOwner || role == store.RoleOwner
		if err := mayGrant(a, (rolePerms|extra)&^oldPerms, ownerChange, in.DataAccess != old.DataAccess); err != nil {
			return err
		}
		if old.Role == store.RoleOwner && role != store.RoleOwner && old.Status != store.StatusDisabled {
			if err := keepAnOwner(ctx, s.Store, a.OrgID, old.Member); err != nil {
				return err
			}
		}
		if in.Licensed && !old.Licensed {
			if err := membership.CheckLicenceFree(ctx, s.Store, a.OrgID); err != nil {
				return refusedFrom(err)
			}
		}
		next := store.MemberAccess{Role: role, RoleID: roleID, Permissions: extra.String(), Licensed: in.Licensed,
			DataAccess: in.DataAccess}
		if err := s.Store.SetMemberAccess(ctx, a.OrgID, id, next); err != nil {
			return err
		}
		if old.Licensed && !in.Licensed { // without a licence nothing they signed in to may go on
			if err := s.endEverywhere(ctx, a.OrgID, id); err != nil {
				return err
			}
		} else if old.Role != role || old.RoleID != roleID { // portals given to roles may no longer admit them
			if err := s.endLostAccess(ctx, a, old.Member); err != nil {
				return err
			}
		}
		e := about(s.auditEvent(a, audit.MemberChange), old.Member)
		e.Detail = describeAccess(old.Member, next, roleName(old.Role, old.RoleName), roleName(role, newRoleName))
		return s.Store.AppendAuditEvent(ctx, &e)
	})
}

// endLostAccess ends, in the change's transaction, m's tokens and pending
// codes of the portals their new role no longer opens, with an audit
// entry per portal.
func (s *Service) endLostAccess(ctx context.Context, a Actor, m store.Member) error {
	lost, err := s.Store.EndLostAccess(ctx, a.OrgID, m.ID, "", s.Now())
	if err != nil {
		return err
	}
	for _, l := range lost {
		e := about(s.auditEvent(a, audit.TokensEnded), m)
		e.Detail = fmt.Sprintf("%d tokens of portal %s ended: the new role may not use it", l.Tokens, l.ClientID)
		if l.Logouts > 0 {
			e.Detail += fmt.Sprintf("; the portal is told of %d sessions (back-channel logout)", l.Logouts)
		}
		if err := s.Store.AppendAuditEvent(ctx, &e); err != nil {
			return err
		}
	}
	return nil
}

// keepAnOwner refuses a change that would leave no active Owner.
func keepAnOwner(ctx context.Context, tx Store, orgID int64, m store.Member) error {
	n, err := tx.CountActiveOwners(ctx, orgID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return refuse("role", "%s is the organisation's only Owner: make another member Owner first", m.Name)
	}
	return nil
}

func describeAccess(old store.Member, next store.MemberAccess, oldRole, newRole string) string {
	var parts []string
	if old.Role != next.Role || old.RoleID != next.RoleID {
		parts = append(parts, fmt.Sprintf("role %s → %s", oldRole, newRole))
	}
	if old.Permissions != next.Permissions {
		parts = append(parts, fmt.Sprintf("permissions [%s] → [%s]", old.Permissions, next.Permissions))
	}
	if old.Licensed != next.Licensed {
		parts = append(parts, fmt.Sprintf("licence %s → %s", yesNo(old.Licensed), yesNo(next.Licensed)))
	}
	if old.DataAccess != next.DataAccess {
		parts = append(parts, fmt.Sprintf("data access %s → %s", yesNo(old.DataAccess), yesNo(next.DataAccess)))
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, "; ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
