package totp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"imslogin/internal/secretbox"
	"imslogin/internal/store"
)

// Secrets seals authenticator-app secrets before they are stored and opens
// them to check codes. A sealed secret is bound to its organisation and
// member, so a value copied to another member's row does not open; values
// sealed before that binding (bound to the organisation only, as the
// development seed's shared one still is) open until their member's next
// code re-seals them. A pending set-up is bound to its member too.
type Secrets struct{ box *secretbox.Box }

// NewSecrets seals with box.
func NewSecrets(box *secretbox.Box) *Secrets { return &Secrets{box: box} }

// pendingPrefix marks a sealed otpauth:// URL in one_time_codes.destination,
// a text column: the sealed bytes follow in unpadded base64url.
const pendingPrefix = "sealed:"

func factorBinding(orgID, memberID int64) []byte {
	return []byte("ims totp member " + strconv.FormatInt(orgID, 10) + " " + strconv.FormatInt(memberID, 10))
}

// sharedBinding binds to the organisation only: the format before member
// binding, and the development seed's one value for every member.
func sharedBinding(orgID int64) []byte { return []byte("ims totp " + strconv.FormatInt(orgID, 10)) }

func pendingBinding(orgID, memberID int64) []byte {
	return []byte("ims totp pending " + strconv.FormatInt(orgID, 10) + " " + strconv.FormatInt(memberID, 10))
}

// Seal returns the stored form of a member's app's base32 secret.
func (s *Secrets) Seal(orgID, memberID int64, secret string) []byte {
	return s.box.Seal([]byte(secret), factorBinding(orgID, memberID))
}

// SealShared returns one stored form of a secret for every member of an
// organisation, bound to the organisation only: for the development seed,
// whose members share one app.
func (s *Secrets) SealShared(orgID int64, secret string) []byte {
	return s.box.Seal([]byte(secret), sharedBinding(orgID))
}

// Open returns the base32 secret of a member's stored app. A secret stored
// before sealing (until the start-up pass reaches it) is returned as it is.
func (s *Secrets) Open(orgID, memberID int64, stored []byte) (string, error) {
	secret, _, err := s.open(orgID, memberID, stored)
	return secret, err
}

// open also reports whether the value should be sealed again bound to its
// member: it was plain or bound to the organisation only.
func (s *Secrets) open(orgID, memberID int64, stored []byte) (secret string, reseal bool, err error) {
	if !secretbox.IsSealed(stored) {
		return string(stored), true, nil
	}
	plain, err := s.box.Open(stored, factorBinding(orgID, memberID))
	if err == nil {
		return string(plain), false, nil
	}
	if plain, err := s.box.Open(stored, sharedBinding(orgID)); err == nil {
		return string(plain), true, nil
	}
	return "", false, fmt.Errorf("authenticator app secret: %w", err)
}

// SealPending returns the stored form of the otpauth:// URL of an app
// being set up.
func (s *Secrets) SealPending(orgID, memberID int64, otpauthURL string) string {
	sealed := s.box.Seal([]byte(otpauthURL), pendingBinding(orgID, memberID))
	return pendingPrefix + base64.RawURLEncoding.EncodeToString(sealed)
}

// OpenPending returns the otpauth:// URL of an app being set up.
func (s *Secrets) OpenPending(orgID, memberID int64, stored string) (string, error) {
	encoded, ok := strings.CutPrefix(stored, pendingPrefix)
	if !ok {
		return stored, nil // stored before sealing, until the start-up pass reaches it
	}
	sealed, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("authenticator app being set up: %w", secretbox.ErrUnknownFormat)
	}
	plain, err := s.box.Open(sealed, pendingBinding(orgID, memberID))
	if err != nil {
		return "", fmt.Errorf("authenticator app being set up: %w", err)
	}
	return string(plain), nil
}

// sealedMark is how every sealed secret starts (secretbox's format version).
var sealedMark = []byte{0x01}

// CountSealed counts the apps, in every organisation, whose secret is
// sealed: they all need the key that sealed them.
func CountSealed(ctx context.Context, st store.SecretsAtRest) (int64, error) {
	return st.CountMFASecrets(ctx, Name, sealedMark)
}

// ErrWrongKey is a key that does not open the apps sealed before.
var ErrWrongKey = errors.New("the key does not open the authenticator apps sealed in the database")

// CheckKey opens one sealed app, if there is one: a wrong key restored
// from a backup is refused at start-up instead of failing every sign-in
// with an authenticator app.
func (s *Secrets) CheckKey(ctx context.Context, st store.SecretsAtRest) error {
	list, err := st.MFAFactorsStartingWith(ctx, Name, sealedMark, 0, 1)
	if err != nil || len(list) == 0 {
		return err
	}
	if _, err := s.Open(list[0].OrgID, list[0].MemberID, list[0].Secret); errors.Is(err, secretbox.ErrCannotOpen) {
		return ErrWrongKey
	}
	return err
}

// SealStored seals, in place, the apps and pending set-ups stored before
// secrets were sealed. Each write is conditional on the value read, so a
// change made meanwhile (an app removed, a set-up restarted) is kept.
func (s *Secrets) SealStored(ctx context.Context, st store.SecretsAtRest) (apps, pending int, err error) {
	const page = 1000
	for after := int64(0); ; {
		list, err := st.MFAFactorsNotStartingWith(ctx, Name, sealedMark, after, page)
		if err != nil {
			return apps, pending, err
		}
		for _, f := range list {
			err := st.ReplaceMFASecret(ctx, f.OrgID, f.ID, f.Secret, s.Seal(f.OrgID, f.MemberID, string(f.Secret)))
			if err == nil {
				apps++
			} else if !errors.Is(err, store.ErrNotFound) {
				return apps, pending, err
			}
			after = f.ID
		}
		if len(list) < page {
			break
		}
	}
	codes, err := st.OneTimeCodesByDestinationPrefix(ctx, "otpauth:")
	if err != nil {
		return apps, pending, err
	}
	for _, c := range codes {
		err := st.ReplaceOneTimeCodeDestination(ctx, c.OrgID, c.MemberID, c.Purpose, c.Destination,
			s.SealPending(c.OrgID, c.MemberID, c.Destination))
		if err == nil {
			pending++
		} else if !errors.Is(err, store.ErrNotFound) {
			return apps, pending, err
		}
	}
	return apps, pending, nil
}

// Box is the server's secret key, for other secrets sealed or derived
// from it (the OpenID Connect provider's signing keys).
func (s *Secrets) Box() *secretbox.Box { return s.box }
