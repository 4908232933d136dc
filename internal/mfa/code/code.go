// Package code is the one-time-code second factors: a 6-digit code sent by
// email or SMS through the otpcode package (10 minutes, only the newest
// working, resent no more than once in ResendAfter). Wrong codes are
// counted by the sign-in flow, so a resend never resets the count.
package code

import (
	"context"
	"errors"
	"strings"
	"time"

	"imslogin/internal/mfa"
	"imslogin/internal/otpcode"
	"imslogin/internal/store"
)

// Lifetime is how long a code works; ResendAfter is the least wait between two.
const (
	Lifetime    = otpcode.DefaultTTL
	ResendAfter = otpcode.DefaultResendAfter
)

// Deliver queues a code to its destination, in the transaction ctx carries.
type Deliver func(ctx context.Context, destination, code string) error

// Codes is where codes are kept.
type Codes interface {
	store.OneTimeCodes
	store.Transactor
}

func issuer(key, binding []byte, now time.Time) *otpcode.Issuer {
	return &otpcode.Issuer{Key: key, Now: func() time.Time { return now }, TTL: Lifetime, ResendAfter: ResendAfter,
		Binding: binding}
}

// Issue stores a new code for purpose, hashed with key (otpcode.KeyFrom)
// and bound to binding (the sign-in's flow ID, nil outside a sign-in),
// and delivers it in the same transaction. Without resend, a live code of
// the same binding to the same destination is kept and nothing is sent; a
// new code within ResendAfter of the last (whichever sign-in it was for)
// is mfa.ErrTooSoon.
func Issue(ctx context.Context, st Codes, key, binding []byte, orgID, memberID int64, purpose, destination string, now time.Time,
	resend bool, deliver Deliver) error {
	codes := issuer(key, binding, now)
	return st.InTx(ctx, func(ctx context.Context) error {
		if !resend {
			if c, err := codes.Pending(ctx, st, orgID, memberID, purpose); err == nil && c.Destination == destination && codes.Mine(c) {
				return nil
			}
		}
		code, err := codes.Issue(ctx, st, orgID, memberID, purpose, destination)
		var tooSoon *otpcode.TooSoonError
		if errors.As(err, &tooSoon) {
			return mfa.ErrTooSoon
		}
		if err != nil {
			return err
		}
		return deliver(ctx, destination, code)
	})
}

// Check accepts the purpose's newest code once, if it was issued with
// binding, and returns where it was sent; a wrong, malformed, expired or
// used code, or one sent for another sign-in, is mfa.ErrWrongCode.
func Check(ctx context.Context, st store.OneTimeCodes, key, binding []byte, orgID, memberID int64, purpose, code string, now time.Time) (string, error) {
	c, err := issuer(key, binding, now).Use(ctx, st, orgID, memberID, purpose, strings.TrimSpace(code))
	for _, wrong := range []error{otpcode.ErrMalformed, otpcode.ErrNoCode, otpcode.ErrExpired, otpcode.ErrWrong} {
		if errors.Is(err, wrong) {
			return "", mfa.ErrWrongCode
		}
	}
	return c.Destination, err
}
