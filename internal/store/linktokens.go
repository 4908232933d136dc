package store

import (
	"context"
	"time"
)

// LinkPurpose is what an emailed link lets its holder do.
type LinkPurpose string

const (
	LinkInvitation   LinkPurpose = "invitation"   // verify the email and set a first password
	LinkReset        LinkPurpose = "reset"        // set a new password after "Forgot password?"
	LinkRegistration LinkPurpose = "registration" // set up or link an account (later)
)

// Why a link token stopped working before its expiry.
const (
	LinkEndedUsed     = "used"     // redeemed once
	LinkEndedReplaced = "replaced" // a newer link of the same purpose was sent
	LinkEndedRevoked  = "revoked"  // the member's email address or password changed after it was sent
)

// LinkToken is an emailed single-use link. Only the SHA-256 of the random
// token in the link is kept.
type LinkToken struct {
	TokenHash []byte
	OrgID     int64
	MemberID  int64
	Purpose   LinkPurpose
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   time.Time // zero while the link is live
	EndReason string    // LinkEndedUsed or LinkEndedReplaced once ended
}

// LinkTokens stores emailed links.
type LinkTokens interface {
	// CreateLinkToken stores t and ends every live token of the same member
	// and purpose as replaced, so only the newest link works.
	CreateLinkToken(ctx context.Context, t *LinkToken) error
	LinkTokenByHash(ctx context.Context, tokenHash []byte) (LinkToken, error)
	// LatestLinkToken is the member's newest token of the purpose, live or
	// not; ErrNotFound if none was ever issued.
	LatestLinkToken(ctx context.Context, orgID, memberID int64, purpose LinkPurpose) (LinkToken, error)
	// RedeemLinkToken ends a live, unexpired token of the purpose as used.
	// Of several concurrent redemptions exactly one succeeds; the others,
	// and any redemption of an ended or expired token, get ErrNotFound.
	RedeemLinkToken(ctx context.Context, tokenHash []byte, purpose LinkPurpose, now time.Time) (LinkToken, error)
	// EndMemberLinkTokens ends every live token of the member, of every
	// purpose, as revoked: what they were sent for (an address, a
	// password) has changed.
	EndMemberLinkTokens(ctx context.Context, orgID, memberID int64, now time.Time) error
}
