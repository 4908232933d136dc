// Package audit names the security events IMS Login records and builds
// their entries. An entry is appended through the transaction of the change
// it records (Log.AppendAuditEvent with the context of store.Transactor's
// InTx), so the log never shows a change that did not happen nor misses one
// that did.
package audit

import (
	"context"
	"net/http"
	"slices"
	"time"

	"imslogin/internal/clientaddr"
	"imslogin/internal/store"
)

// The kinds of event.
const (
	SigninSuccess     = "signin-success"
	SigninFailure     = "signin-failure" // Detail says why
	Lockout           = "lockout"
	Unlock            = "unlock"
	Signout           = "signout"
	SessionRevoke     = "session-revoke"
	SignoutEverywhere = "signout-everywhere"
	Reauthenticate    = "reauthenticate"
	PasswordChange    = "password-change"
	PasswordReset     = "password-reset"
	InvitationAccept  = "invitation-accept"
	EmailChange       = "email-change"
	EmailVerify       = "email-verify" // Detail: verified, or skipped at sign-in
	MFAChange         = "mfa-change"
	MemberAdd         = "member-add"
	MemberChange      = "member-change"
	SettingsChange    = "settings-change"
	// Single sign-on for portals (Detail names the portal's client ID).
	PortalSignin       = "portal-signin"        // a portal received a sign-in
	PortalDenied       = "portal-denied"        // a member not allowed into a portal
	TokenReuse         = "token-reuse"          // a used code or rotated refresh token came again: its tokens revoked
	PortalSignout      = "portal-signout"       // RP-initiated logout ended a session
	SigningKeyRotation = "signing-key-rotation" // a new signing key was scheduled
	PortalChange       = "portal-change"        // a portal registered, changed or deleted, or its secret rotated
	ConsentGiven       = "consent-given"        // a member let a portal have the scopes named
	ConsentRefused     = "consent-refused"      // a member refused a portal's request
	PortalRevoke       = "portal-revoke"        // a member revoked a portal's access (its tokens and consent)
	TokensEnded        = "tokens-ended"         // a member's tokens ended: with every session (disabled, reset, signed out everywhere), or of a portal they may no longer use
	LogoutFailed       = "logout-failed"        // a portal was never told of a sign-out: back-channel logout gave up
	// Login services and registration.
	LoginServiceChange = "login-service-change" // a login service added, changed or deleted
	LoginServiceDenied = "login-service-denied" // an external account linked to no member (or one who may not sign in)
	AccountLink        = "account-link"         // an account linked, relinked, or a link refused (Detail says why)
	RegistrationSend   = "registration-send"    // a registration email sent
	UnlinkedRemoval    = "unlinked-removal"     // a member never linked removed, or their count reset
)

// Kinds lists every kind, for checking a filter.
func Kinds() []string {
	return []string{SigninSuccess, SigninFailure, Lockout, Unlock, Signout, SessionRevoke, SignoutEverywhere,
		Reauthenticate, PasswordChange, PasswordReset, InvitationAccept, EmailChange, EmailVerify, MFAChange, MemberAdd, MemberChange, SettingsChange,
		PortalSignin, PortalDenied, TokenReuse, PortalSignout, SigningKeyRotation, PortalChange,
		ConsentGiven, ConsentRefused, PortalRevoke, TokensEnded, LogoutFailed,
		LoginServiceChange, LoginServiceDenied, AccountLink, RegistrationSend, UnlinkedRemoval}
}

// ValidKind reports whether kind is one of Kinds.
func ValidKind(kind string) bool { return slices.Contains(Kinds(), kind) }

// Log is where entries are appended.
type Log interface {
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// ActorCommandLine is the actor of changes an operator makes with `ims`.
const ActorCommandLine = "command line"

// maxUserAgent bounds the user agent kept, as sessions do.
const maxUserAgent = 512

// Origin is where a request came from, as the audit log records it.
type Origin struct {
	Address   string // the client address (behind a trusted proxy, the one it reports)
	UserAgent string // at most 512 bytes
}

// OriginOf reads a request's origin.
func OriginOf(r *http.Request) Origin {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return Origin{Address: clientaddr.Of(r), UserAgent: ua}
}

// Event starts an entry about a request from o at time at. The caller adds
// member, email, actor and detail.
func Event(o Origin, at time.Time, orgID int64, kind string) store.AuditEvent {
	return store.AuditEvent{OrgID: orgID, At: at, Kind: kind, Address: o.Address, UserAgent: o.UserAgent}
}

// About sets who the entry concerns; the member is also the actor.
func About(e store.AuditEvent, m store.Member) store.AuditEvent {
	e.MemberID, e.Email, e.Actor = m.ID, m.Email, m.Email
	return e
}

// Prune deletes entries older than retention (zero keeps everything).
func Prune(ctx context.Context, s store.AuditLog, now time.Time, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, nil
	}
	return s.PruneAuditEvents(ctx, now.Add(-retention))
}
