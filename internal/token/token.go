// Package token issues and redeems single-use emailed links: 256 random
// bits in the link, only their SHA-256 stored, an expiry, and a newer link
// voiding older ones of the same purpose.
package token

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"imslogin/internal/session"
	"imslogin/internal/store"
)

// Why a link does not work, each with its own explanation for the member.
var (
	ErrInvalid  = errors.New("the link is not valid") // unknown, mangled or for another purpose
	ErrExpired  = errors.New("the link has expired")
	ErrUsed     = errors.New("the link was already used")
	ErrReplaced = errors.New("a newer link was sent")
)

// Issuer stores links.
type Issuer interface {
	CreateLinkToken(ctx context.Context, t *store.LinkToken) error
}

// Issue stores a new link for member and returns the token to put in it.
// Call it in the transaction that enqueues the email carrying the link.
func Issue(ctx context.Context, tx Issuer, m store.Member, purpose store.LinkPurpose, now time.Time, lifetime time.Duration) (string, error) {
	raw, hash := session.NewToken()
	t := store.LinkToken{TokenHash: hash, OrgID: m.OrgID, MemberID: m.ID, Purpose: purpose, CreatedAt: now,
		ExpiresAt: now.Add(lifetime)}
	if err := tx.CreateLinkToken(ctx, &t); err != nil {
		return "", err
	}
	return raw, nil
}

// Reader finds links by their hash.
type Reader interface {
	LinkTokenByHash(ctx context.Context, tokenHash []byte) (store.LinkToken, error)
}

// Redeemer uses links up.
type Redeemer interface {
	Reader
	RedeemLinkToken(ctx context.Context, tokenHash []byte, purpose store.LinkPurpose, now time.Time) (store.LinkToken, error)
}

// Check reports whether raw is a live link of purpose, without using it.
func Check(ctx context.Context, s Reader, raw string, purpose store.LinkPurpose, now time.Time) (store.LinkToken, error) {
	if !wellFormed(raw) {
		return store.LinkToken{}, ErrInvalid
	}
	t, err := s.LinkTokenByHash(ctx, session.HashToken(raw))
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Purpose != purpose) {
		return store.LinkToken{}, ErrInvalid
	}
	if err != nil {
		return t, err
	}
	switch {
	case t.EndReason == store.LinkEndedUsed:
		return t, ErrUsed
	case t.EndReason == store.LinkEndedReplaced:
		return t, ErrReplaced
	case !now.Before(t.ExpiresAt):
		return t, ErrExpired
	}
	return t, nil
}

// Redeem uses the link once, inside tx: of concurrent redemptions exactly
// one succeeds, and the others get the reason the link no longer works.
func Redeem(ctx context.Context, tx Redeemer, raw string, purpose store.LinkPurpose, now time.Time) (store.LinkToken, error) {
	if !wellFormed(raw) {
		return store.LinkToken{}, ErrInvalid
	}
	t, err := tx.RedeemLinkToken(ctx, session.HashToken(raw), purpose, now)
	if errors.Is(err, store.ErrNotFound) {
		if _, why := Check(ctx, tx, raw, purpose, now); why != nil {
			return t, why
		}
		return t, ErrUsed // redeemed by a concurrent request a moment ago
	}
	return t, err
}

// wellFormed accepts only what NewToken makes: 43 base64url characters.
func wellFormed(raw string) bool {
	if len(raw) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	return err == nil && len(b) == 32
}
