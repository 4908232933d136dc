package portal

import (
	"slices"
	"strings"

	"imslogin/internal/store"
)

// MayUse reports whether member m may sign in to portal p: a member of the
// portal's organisation, active and licensed (a disabled or unlicensed
// member uses no portal), whom the portal's access rule admits. m's Role
// and RoleID are what a roles rule is checked against.
func MayUse(p store.Portal, m store.Member) bool {
	if m.OrgID != p.OrgID || m.ID == 0 || m.Status != store.StatusActive || !m.Licensed {
		return false
	}
	switch p.Access {
	case store.PortalAccessAll:
		return true
	case store.PortalAccessRoles:
		return slices.Contains(p.Roles, store.RoleKey(m))
	case store.PortalAccessMembers:
		return slices.Contains(p.MemberIDs, m.ID)
	}
	return false
}

// Launchable are the portals of list m may use that have a home URL: what
// the Dashboard offers them.
func Launchable(list []store.Portal, m store.Member) []store.Portal {
	var out []store.Portal
	for _, p := range list {
		if p.HomeURL != "" && MayUse(p, m) {
			out = append(out, p)
		}
	}
	return out
}

// Issuer is the organisation's OpenID Connect issuer, {publicURL}/o/{url-name}.
func Issuer(publicURL string, org store.Organisation) string {
	return strings.TrimRight(publicURL, "/") + "/o/" + org.URLName
}
