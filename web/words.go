package web

import (
	"strings"

	"imslogin/internal/session"
)

// The words pages use for the product's codes: permissions, audit events
// and browsers are named as people say them; the codes stay available
// where an administrator may need them (the API, a disclosure).

// permissionLabels name the permissions of the catalogue (internal/access).
var permissionLabels = map[string]string{
	"members.read":     "See team members",
	"members.write":    "Manage team members",
	"members.security": "Handle team members' sign-in security",
	"roles.manage":     "Manage roles",
	"settings.read":    "See organisation settings",
	"settings.write":   "Change organisation settings",
	"audit.read":       "Read the audit log",
	"tokens.manage":    "Manage API tokens",
	"portals.manage":   "Manage portals",
}

// PermissionLabel names a permission for people; an unknown one keeps its code.
func PermissionLabel(code string) string {
	if l, ok := permissionLabels[code]; ok {
		return l
	}
	return code
}

// permissionList names a space-separated list of permissions.
func permissionList(codes string) string {
	var out []string
	for _, c := range strings.Fields(codes) {
		out = append(out, PermissionLabel(c))
	}
	if len(out) == 0 {
		return "None"
	}
	return strings.Join(out, ", ")
}

// eventLabels name the audit log's kinds of event (internal/audit).
var eventLabels = map[string]string{
	"signin-success":       "Signed in",
	"signin-failure":       "Sign-in failed",
	"lockout":              "Account locked",
	"unlock":               "Account unlocked",
	"signout":              "Signed out",
	"session-revoke":       "Signed out a browser",
	"signout-everywhere":   "Signed out everywhere",
	"reauthenticate":       "Confirmed password",
	"password-change":      "Changed password",
	"password-reset":       "Reset password",
	"invitation-accept":    "Accepted invitation",
	"email-change":         "Changed email address",
	"email-verify":         "Verified email address",
	"mfa-change":           "Changed multi-factor authentication",
	"member-add":           "Added a team member",
	"member-change":        "Changed a team member",
	"settings-change":      "Changed settings",
	"portal-signin":        "Signed in to a portal",
	"portal-denied":        "Refused entry to a portal",
	"token-reuse":          "Reused portal token refused",
	"portal-signout":       "Signed out of a portal",
	"signing-key-rotation": "Rotated signing key",
	"portal-change":        "Changed a portal",
	"consent-given":        "Allowed a portal",
	"consent-refused":      "Refused a portal",
	"portal-revoke":        "Revoked a portal's access",
	"tokens-ended":         "Ended portal tokens",
}

// EventLabel names an audit event kind for people; an unknown one is
// made readable from its code.
func EventLabel(kind string) string {
	if l, ok := eventLabels[kind]; ok {
		return l
	}
	if kind == "" {
		return ""
	}
	return strings.ToUpper(kind[:1]) + strings.ReplaceAll(kind[1:], "-", " ")
}

// device names a browser from its user agent ("Chrome on Linux").
func device(userAgent string) string {
	if userAgent == "" {
		return ""
	}
	return session.Device(userAgent)
}

// sentence makes a message a sentence: capital first letter, full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}
