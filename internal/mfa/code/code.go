// Package code is the one-time-code second factors: a 6-digit code sent by
// email or SMS, valid for 10 minutes, only the newest working, resent no
// more than once in ResendAfter. Wrong codes are counted by the sign-in
// flow, so a resend never resets the count.
package code

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/store"
)

// Lifetime is how long a code works; ResendAfter is the least wait between two.
const (
	Lifetime    = 10 * time.Minute
	ResendAfter = 30 * time.Second
)

// Deliver queues a code to its destination through tx.
type Deliver func(ctx context.Context, tx store.Store, destination, code string) error

// Issue stores a new code for the channel and delivers it in the same
// transaction. Without resend, a code still valid is kept and nothing is
// sent; a resend within ResendAfter of the last code is ErrTooSoon.
func Issue(ctx context.Context, st store.Store, orgID, memberID int64, channel, destination string, now time.Time,
	resend bool, deliver Deliver) error {
	return st.InTx(ctx, func(tx store.Store) error {
		prev, err := tx.MFACode(ctx, orgID, memberID, channel)
		switch {
		case err == nil && !resend && now.Before(prev.ExpiresAt) && prev.Destination == destination:
			return nil
		case err == nil && resend && now.Before(prev.SentAt.Add(ResendAfter)):
			return mfa.ErrTooSoon
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		code, err := random()
		if err != nil {
			return err
		}
		if err := tx.PutMFACode(ctx, store.MFACode{OrgID: orgID, MemberID: memberID, Channel: channel,
			CodeHash: hash(orgID, memberID, channel, code), Destination: destination, SentAt: now,
			ExpiresAt: now.Add(Lifetime)}); err != nil {
			return err
		}
		return deliver(ctx, tx, destination, code)
	})
}

// Check accepts the channel's newest code once: a right code is deleted,
// so it cannot be used again. It returns where the code was sent.
func Check(ctx context.Context, st store.Store, orgID, memberID int64, channel, code string, now time.Time) (string, error) {
	c, err := st.MFACode(ctx, orgID, memberID, channel)
	if errors.Is(err, store.ErrNotFound) {
		return "", mfa.ErrWrongCode
	}
	if err != nil {
		return "", err
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if subtle.ConstantTimeCompare(c.CodeHash, hash(orgID, memberID, channel, code)) != 1 || !now.Before(c.ExpiresAt) {
		return "", mfa.ErrWrongCode
	}
	// Deleting is the claim: of two requests with the right code, one wins.
	if err := st.DeleteMFACode(ctx, orgID, memberID, channel); errors.Is(err, store.ErrNotFound) {
		return "", mfa.ErrWrongCode
	} else if err != nil {
		return "", err
	}
	return c.Destination, nil
}

func random() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// hash binds a code to its member and channel. Codes are short-lived and
// guesses are counted and locked out, so a fast hash is enough at rest.
func hash(orgID, memberID int64, channel, code string) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "%d\x00%d\x00%s\x00%s", orgID, memberID, channel, code))
	return h[:]
}
