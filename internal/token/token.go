// Package token makes the server's random tokens (sessions, sign-in flows,
// remembered browsers, API tokens, emailed links): 256 random bits, only
// their SHA-256 stored. It also issues and redeems single-use emailed
// links: an expiry, and a newer link voiding older ones of the same purpose.
package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"imslogin/internal/store"
)

// New returns 256 random bits, URL-safe, and their SHA-256.
func New() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

// Hash is how tokens are stored: only their SHA-256, so a copy of the
// database signs nobody in. The tokens carry 256 random bits, so a fast
// hash is enough.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Why a link does not work, each with its own explanation for the member.
var (
	ErrInvalid  = errors.New("the link is not valid") // unknown, mangled or for another purpose
	ErrExpired  = errors.New("the link has expired")
	ErrUsed     = errors.New("the link was already used")
	ErrReplaced = errors.New("a newer link was sent")
	ErrRevoked  = errors.New("the email address or password changed after the link was sent")
)

// Issuer stores links.
type Issuer interface {
	CreateLinkToken(ctx context.Context, t *store.LinkToken) error
}

// Issue stores a new link for member and returns the token to put in it.
// Call it in the transaction that enqueues the email carrying the link.
func Issue(ctx context.Context, tx Issuer, m store.Member, purpose store.LinkPurpose, now time.Time, lifetime time.Duration) (string, error) {
	raw, hash := New()
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
	t, err := s.LinkTokenByHash(ctx, Hash(raw))
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
	case t.EndReason == store.LinkEndedRevoked:
		return t, ErrRevoked
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
	t, err := tx.RedeemLinkToken(ctx, Hash(raw), purpose, now)
	if errors.Is(err, store.ErrNotFound) {
		if _, why := Check(ctx, tx, raw, purpose, now); why != nil {
			return t, why
		}
		return t, ErrUsed // redeemed by a concurrent request a moment ago
	}
	return t, err
}

// wellFormed accepts only what New makes: 43 base64url characters,
// canonically encoded (the unused low bits of the last one are zero).
func wellFormed(raw string) bool {
	if len(raw) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	return err == nil && len(b) == 32
}
