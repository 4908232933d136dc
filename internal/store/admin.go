package store

import (
	"context"
	"strings"
	"time"
)

// CustomRole is a role an organisation's administrators define: a name and
// a set of permissions from the catalogue. The built-in roles (Owner,
// Administrator, Member) are not stored; they are fixed in code.
type CustomRole struct {
	ID          int64
	OrgID       int64
	Name        string
	Permissions []string
	CreatedAt   time.Time
}

// Roles stores custom roles.
type Roles interface {
	CreateRole(ctx context.Context, r *CustomRole) error
	RoleByID(ctx context.Context, orgID, id int64) (CustomRole, error)
	// Roles lists an organisation's custom roles by name.
	Roles(ctx context.Context, orgID int64) ([]CustomRole, error)
	UpdateRole(ctx context.Context, r CustomRole) error
	// DeleteRole deletes a role no member holds; ErrConflict while one does.
	DeleteRole(ctx context.Context, orgID, id int64) error
}

// MemberSort is a column the Team Members list can be ordered by.
type MemberSort string

const (
	SortName       MemberSort = "name"
	SortEmail      MemberSort = "email"
	SortStatus     MemberSort = "status"
	SortLastSignIn MemberSort = "last_signin"
)

// Valid reports whether s is one of the sortable columns.
func (s MemberSort) Valid() bool {
	switch s {
	case SortName, SortEmail, SortStatus, SortLastSignIn:
		return true
	}
	return false
}

// MemberCursor marks a row of the sorted list, for keyset paging: the next
// page starts after it (or, going back, ends before it). Text holds the
// sort column for text columns, Number for time columns.
type MemberCursor struct {
	Text   string
	Number int64
	ID     int64
}

// MemberQuery selects one page of an organisation's members.
type MemberQuery struct {
	// Search matches the members who have, for each word of the search, a
	// word of their name or email beginning with it, ignoring letter case
	// (see SearchWords): "car cos" finds Carla Costa, "acme.test" everyone
	// at that domain. A search without words matches everyone.
	Search string
	Sort   MemberSort
	Desc   bool
	// After or Before (not both) is where the page starts or ends.
	After, Before *MemberCursor
	Limit         int // at most 201 (a page and one more, to know there is a next page)
}

// MemberRow is a member as the Team Members list shows them.
type MemberRow struct {
	Member
	RoleName    string    // the custom role's name, when the member has one
	LockedUntil time.Time // when a sign-in lock lifts; zero or past means not locked
}

// Cursor is the row's place in a list sorted by s.
func (r MemberRow) Cursor(s MemberSort) MemberCursor {
	switch s {
	case SortEmail:
		return MemberCursor{Text: r.Email, ID: r.ID}
	case SortStatus:
		return MemberCursor{Text: string(r.Status), ID: r.ID}
	case SortLastSignIn:
		var at int64 // never signed in sorts first, as stored
		if !r.LastSignInAt.IsZero() {
			at = r.LastSignInAt.UnixMilli()
		}
		return MemberCursor{Number: at, ID: r.ID}
	}
	return MemberCursor{Text: NameKey(r.Name), ID: r.ID}
}

// NameKey is how member names sort and match: lower-cased.
func NameKey(name string) string { return strings.ToLower(name) }

// MemberAccess is what an administrator sets for a member: their role,
// extra permissions, licence and Sensitive Data Access.
type MemberAccess struct {
	Role        Role
	RoleID      int64  // a custom role, with Role RoleMember; 0 for none
	Permissions string // space-separated, as Member.Permissions
	Licensed    bool
	DataAccess  bool
}

// Picture is a member's re-encoded profile picture.
type Picture struct {
	ContentType string
	Data        []byte
	UpdatedAt   time.Time
}

// Administration holds what the admin console and My Profile change.
type Administration interface {
	// ListMembers returns one page of members, in the query's order.
	ListMembers(ctx context.Context, orgID int64, q MemberQuery) ([]MemberRow, error)
	// CountMembers counts the members the search matches, up to limit+1
	// when limit is positive: more than limit means "over limit".
	CountMembers(ctx context.Context, orgID int64, search string, limit int) (int, error)
	// SetMemberAccess changes a member's role, permissions, licence and data
	// access. ErrNotFound if the member, or the custom role, is not the
	// organisation's.
	SetMemberAccess(ctx context.Context, orgID, memberID int64, a MemberAccess) error
	// UpdateProfile changes what a member says about themselves.
	UpdateProfile(ctx context.Context, orgID, memberID int64, name, aboutMe string) error
	SetPicture(ctx context.Context, orgID, memberID int64, p Picture) error
	Picture(ctx context.Context, orgID, memberID int64) (Picture, error)
	// CountActiveOwners counts owners who are not disabled.
	CountActiveOwners(ctx context.Context, orgID int64) (int, error)
	// Administrators lists the organisation's Owners and Administrators
	// who are not disabled, at most limit of them.
	Administrators(ctx context.Context, orgID int64, limit int) ([]Member, error)
	// LicencesInUse counts members holding a licence.
	LicencesInUse(ctx context.Context, orgID int64) (int, error)
	// LockOrganisation, inside InTx, holds the organisation's row until the
	// transaction ends, so checks over many members (licences in use, the
	// last Owner) cannot race with another node's change.
	LockOrganisation(ctx context.Context, orgID int64) (Organisation, error)
	// UpdateOrganisation saves the name, sign-in URL and settings (not the
	// URL name, which operators set with SetURLName).
	UpdateOrganisation(ctx context.Context, o Organisation) error
	SetLicences(ctx context.Context, orgID int64, licences int) error
	// SetURLName changes the organisation's URL name (the caller validates
	// it); ErrConflict when another organisation has it.
	SetURLName(ctx context.Context, orgID int64, urlName string) error
}

// APIToken is an organisation's credential for the /api/v1 REST API. Only
// the SHA-256 of the token is kept.
type APIToken struct {
	ID          int64
	OrgID       int64
	Name        string
	TokenHash   []byte
	Permissions []string
	CreatedBy   string
	CreatedAt   time.Time
	LastUsedAt  time.Time
}

// APITokens stores API tokens.
type APITokens interface {
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokenByHash finds a token in any organisation, as a session is found.
	APITokenByHash(ctx context.Context, tokenHash []byte) (APIToken, error)
	APITokens(ctx context.Context, orgID int64) ([]APIToken, error)
	DeleteAPIToken(ctx context.Context, orgID, id int64) error
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

// DefaultLicences is the seat count of a new organisation until an operator
// sets it with `ims org set --licences N`.
const DefaultLicences = 10

// AuditDayCount is how many entries of one kind an organisation's audit log
// holds for one UTC day.
type AuditDayCount struct {
	Day   time.Time // midnight UTC
	Kind  string
	Count int
}

// AuditCounts summarises the audit log for charts.
type AuditCounts interface {
	// AuditDailyCounts counts entries of the kinds at or after since, by
	// UTC day and kind.
	AuditDailyCounts(ctx context.Context, orgID int64, kinds []string, since time.Time) ([]AuditDayCount, error)
}
