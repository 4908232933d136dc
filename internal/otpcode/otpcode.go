package otpcode

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"imslogin/internal/secretbox"
	"imslogin/internal/store"
)

// Length is the number of digits of a code.
const Length = 6

// Defaults for an Issuer's zero fields.
const (
	DefaultTTL         = 10 * time.Minute
	DefaultResendAfter = time.Minute
)

// The ways a guess fails.
var (
	ErrMalformed = errors.New("otpcode: not a 6-digit code")
	ErrNoCode    = errors.New("otpcode: no code was sent, or it was already used")
	ErrExpired   = errors.New("otpcode: the code has expired")
	ErrWrong     = errors.New("otpcode: wrong code")
)

// TooSoonError refuses a new code until Wait has passed.
type TooSoonError struct{ Wait time.Duration }

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("otpcode: wait %v before sending another code", e.Wait)
}

// Issuer issues and checks codes.
type Issuer struct {
	// Key keys the stored hashes (HMAC-SHA256): without it a stored hash
	// of six digits is reversed by trying the million codes. Required.
	Key         []byte
	Now         func() time.Time
	TTL         time.Duration // how long a code works; DefaultTTL if zero
	ResendAfter time.Duration // the least time between two codes; DefaultResendAfter if zero
	// Binding is the sign-in a code is for (its flow's ID), nil outside a
	// sign-in: a code issued with a binding is accepted only with the same
	// one, so a code sent for one sign-in does not finish another.
	Binding []byte
}

// Bound is a copy of the issuer for codes bound to binding.
func (i *Issuer) Bound(binding []byte) *Issuer {
	c := *i
	c.Binding = binding
	return &c
}

// Issue makes a new code for the member and purpose, going to destination,
// and stores it through tx in place of any earlier one. While the last one
// is younger than ResendAfter it returns a *TooSoonError instead.
func (i *Issuer) Issue(ctx context.Context, tx store.OneTimeCodes, orgID, memberID int64, purpose, destination string) (string, error) {
	now := i.Now()
	last, err := tx.OneTimeCode(ctx, orgID, memberID, purpose)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if err == nil {
		if wait := last.SentAt.Add(i.resendAfter()).Sub(now); wait > 0 {
			return "", &TooSoonError{Wait: wait}
		}
	}
	code, err := newCode()
	if err != nil {
		return "", err
	}
	sum, err := i.stored(memberID, purpose, code)
	if err != nil {
		return "", err
	}
	err = tx.PutOneTimeCode(ctx, store.OneTimeCode{OrgID: orgID, MemberID: memberID, Purpose: purpose,
		CodeHash: sum, Destination: destination, SentAt: now, ExpiresAt: now.Add(i.Lifetime())})
	return code, err
}

// Use checks a guess and, when it is right, consumes the code through tx
// (the transaction of the change the code allows) and returns it, with
// the destination it was sent to. Otherwise it returns ErrMalformed,
// ErrNoCode, ErrExpired or ErrWrong.
func (i *Issuer) Use(ctx context.Context, tx store.OneTimeCodes, orgID, memberID int64, purpose, guess string) (store.OneTimeCode, error) {
	guess = Normalise(guess)
	if !wellFormed(guess) {
		return store.OneTimeCode{}, ErrMalformed
	}
	c, err := tx.OneTimeCode(ctx, orgID, memberID, purpose)
	if errors.Is(err, store.ErrNotFound) {
		return c, ErrNoCode
	}
	if err != nil {
		return c, err
	}
	if !i.Now().Before(c.ExpiresAt) {
		return c, ErrExpired
	}
	sum, err := i.stored(memberID, purpose, guess)
	if err != nil {
		return c, err
	}
	if subtle.ConstantTimeCompare(sum, c.CodeHash) != 1 {
		return c, ErrWrong
	}
	err = tx.DeleteOneTimeCode(ctx, orgID, memberID, purpose, c.CodeHash)
	if errors.Is(err, store.ErrNotFound) {
		return c, ErrNoCode // another request used or replaced it a moment ago
	}
	return c, err
}

// Pending returns the member's live code for purpose, if any (to show
// where it went, say), or ErrNoCode. Mine tells whether it is the
// issuer's binding's.
func (i *Issuer) Pending(ctx context.Context, s store.OneTimeCodes, orgID, memberID int64, purpose string) (store.OneTimeCode, error) {
	c, err := s.OneTimeCode(ctx, orgID, memberID, purpose)
	if errors.Is(err, store.ErrNotFound) || err == nil && !i.Now().Before(c.ExpiresAt) {
		return c, ErrNoCode
	}
	return c, err
}

// Normalise drops the spaces and dashes people type inside a code.
func Normalise(guess string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, guess)
}

// WellFormed reports whether guess, normalised, has the shape of a code:
// only such a guess is checked against the secret, so only it needs to be
// counted before the check.
func WellFormed(guess string) bool { return wellFormed(Normalise(guess)) }

func wellFormed(s string) bool {
	if len(s) != Length {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// errNoKey refuses to issue or check codes without the server's key.
var errNoKey = errors.New("otpcode: the issuer has no key")

// KeyLabel names the key codes are hashed with, derived from the server's
// secret key (secretbox.Box.DeriveKey).
const KeyLabel = "one-time codes"

// KeyFrom derives the key of codes from the server's secret key: every
// node with that key hashes codes alike.
func KeyFrom(box *secretbox.Box) []byte { return box.DeriveKey(KeyLabel) }

// tagSize is the length of a binding's tag at the head of a bound code's
// stored hash.
const tagSize = 16

// stored is what is kept of a code: the HMAC-SHA256, under the server's
// key, of the code bound to its member, purpose and binding (a copy of the
// database tells nothing of a code without the key, and a stored hash
// says nothing about another member's or another sign-in's). A bound
// code's is led by its binding's tag, so Mine can tell whose a live code
// is without the code; an unbound code's is the HMAC alone.
func (i *Issuer) stored(memberID int64, purpose, code string) ([]byte, error) {
	if len(i.Key) == 0 {
		return nil, errNoKey
	}
	mac := hmac.New(sha256.New, i.Key)
	mac.Write([]byte(strconv.FormatInt(memberID, 10) + "\x00" + purpose + "\x00" + code))
	if len(i.Binding) == 0 {
		return mac.Sum(nil), nil
	}
	mac.Write([]byte("\x00"))
	mac.Write(i.Binding)
	return mac.Sum(i.tag()), nil
}

// tag identifies the issuer's binding (and nothing else) in a stored hash.
func (i *Issuer) tag() []byte {
	mac := hmac.New(sha256.New, i.Key)
	mac.Write([]byte("binding\x00"))
	mac.Write(i.Binding)
	return mac.Sum(nil)[:tagSize]
}

// Mine reports whether c, a code of this issuer's member and purpose, was
// issued with the issuer's binding (or, unbound, with none).
func (i *Issuer) Mine(c store.OneTimeCode) bool {
	if len(i.Binding) == 0 {
		return len(c.CodeHash) == sha256.Size
	}
	return len(c.CodeHash) == tagSize+sha256.Size && len(i.Key) > 0 &&
		subtle.ConstantTimeCompare(c.CodeHash[:tagSize], i.tag()) == 1
}

// Lifetime is how long a new code works.
func (i *Issuer) Lifetime() time.Duration {
	if i.TTL > 0 {
		return i.TTL
	}
	return DefaultTTL
}

func (i *Issuer) resendAfter() time.Duration {
	if i.ResendAfter > 0 {
		return i.ResendAfter
	}
	return DefaultResendAfter
}
