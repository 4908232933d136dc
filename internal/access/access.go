// Package access is the permission catalogue and the built-in roles: what a
// member, or an API token, may do in the admin console and the REST API.
package access

import (
	"fmt"
	"math/bits"
	"strings"

	"imslogin/internal/store"
)

// Permission is one entry of the catalogue.
type Permission string

// The catalogue.
const (
	MembersRead     Permission = "members.read"     // see Team Members
	MembersWrite    Permission = "members.write"    // add, edit, disable and re-enable members; resend invitations
	MembersSecurity Permission = "members.security" // unlock, send a password reset, sign a member out everywhere
	RolesManage     Permission = "roles.manage"     // define custom roles
	SettingsRead    Permission = "settings.read"    // see the organisation's settings
	SettingsWrite   Permission = "settings.write"   // change them
	AuditRead       Permission = "audit.read"       // read the audit log
	TokensManage    Permission = "tokens.manage"    // create and revoke API tokens
	PortalsManage   Permission = "portals.manage"   // register portals (single sign-on clients)
	PortalsRegister Permission = "portals.register" // register people for portals, send new registrations (Site Administrator)
)

// Info describes a permission for the Roles & Permissions page.
type Info struct {
	Name        Permission
	Description string
}

// Catalogue lists every permission in a fixed order; a Set is a bit mask
// over this order.
var Catalogue = []Info{
	{MembersRead, "See team members, their roles, licences and status"},
	{MembersWrite, "Add, edit, disable and re-enable team members; resend invitations"},
	{MembersSecurity, "Unlock accounts, send password resets, sign members out everywhere"},
	{RolesManage, "Create, change and delete custom roles"},
	{SettingsRead, "See the organisation's settings"},
	{SettingsWrite, "Change the organisation's settings"},
	{AuditRead, "Read the audit log"},
	{TokensManage, "Create and revoke API tokens"},
	{PortalsManage, "Register and change portals"},
	{PortalsRegister, "Register people for portals and manage their Users (Site Administrator)"},
}

// Set is a set of permissions.
type Set uint32

func bit(p Permission) Set {
	for i, info := range Catalogue {
		if info.Name == p {
			return 1 << i
		}
	}
	return 0
}

// All is every permission in the catalogue.
var All = Set(1)<<len(Catalogue) - 1

// Of builds a set from known permissions.
func Of(perms ...Permission) Set {
	var s Set
	for _, p := range perms {
		s |= bit(p)
	}
	return s
}

// Parse reads permission names separated by spaces or commas; an unknown
// name is an error that names it.
func Parse(list string) (Set, error) {
	var s Set
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
		b := bit(Permission(name))
		if b == 0 {
			return 0, fmt.Errorf("unknown permission %q", name)
		}
		s |= b
	}
	return s, nil
}

// ParseList is Parse over a slice of names.
func ParseList(names []string) (Set, error) { return Parse(strings.Join(names, " ")) }

// Has reports whether s holds p.
func (s Set) Has(p Permission) bool { b := bit(p); return b != 0 && s&b == b }

// Covers reports whether s holds every permission of o.
func (s Set) Covers(o Set) bool { return o&^s == 0 }

// Len is the number of permissions in s.
func (s Set) Len() int { return bits.OnesCount32(uint32(s)) }

// Names lists s in catalogue order.
func (s Set) Names() []string {
	var out []string
	for i, info := range Catalogue {
		if s&(1<<i) != 0 {
			out = append(out, string(info.Name))
		}
	}
	return out
}

// String is the stored form: names separated by spaces.
func (s Set) String() string { return strings.Join(s.Names(), " ") }

// Builtin is the fixed permission set of a built-in role. Owners hold
// everything; Administrators everything but API tokens, which are the
// organisation's machine credentials; Members nothing.
func Builtin(r store.Role) Set {
	switch r {
	case store.RoleOwner:
		return All
	case store.RoleAdministrator:
		return All &^ Of(TokensManage)
	}
	return 0
}

// OfMember is what a member may do: their role's permissions (built-in, or
// the custom role's rolePerms) plus those granted to them individually.
// Unknown stored names grant nothing.
func OfMember(m store.Member, rolePerms string) Set {
	s := Builtin(m.Role)
	if m.RoleID != 0 {
		s = parseKnown(rolePerms)
	}
	return s | parseKnown(m.Permissions)
}

// OfSignedIn is what the signed-in member may do.
func OfSignedIn(si store.SignedIn) Set { return OfMember(si.Member, si.RolePermissions) }

func parseKnown(list string) Set {
	var s Set
	for _, name := range strings.Fields(list) {
		s |= bit(Permission(name))
	}
	return s
}

// RoleTitle names a built-in role for people.
func RoleTitle(r store.Role) string {
	switch r {
	case store.RoleOwner:
		return "Owner"
	case store.RoleAdministrator:
		return "Administrator"
	}
	return "Member"
}
