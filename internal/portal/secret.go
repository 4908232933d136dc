package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"

	"imslogin/internal/store"
)

// SecretPrefix marks IMS Login client secrets, so secret scanners can find
// leaked ones.
const SecretPrefix = "ims_cs_"

// maxSecretLength bounds what is hashed: a real secret is 50 characters.
const maxSecretLength = 256

// NewClientID returns a new client ID: 26 lower-case base32 characters
// (130 random bits), safe in URLs and never starting with "-".
func NewClientID() string { return strings.ToLower(rand.Text()) }

// NewSecret returns a new client secret, 256 random bits, and its hash,
// the only form ever stored.
//
// The hash is SHA-256, not a password hash such as argon2id. A password
// hash is slow to make guessing a human-chosen password expensive; a
// generated secret of 256 random bits cannot be guessed whatever the
// speed of the hash (2^255 tries on average), and SHA-256 is preimage
// resistant, so a leaked hash does not give the secret back. The secret is
// checked on every token, introspection and revocation request of a
// confidential portal: SHA-256 costs about a microsecond there, where
// argon2id would cost tens of milliseconds and megabytes per request and
// make the token endpoint the easiest thing to flood.
func NewSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// VerifySecret reports whether secret is one of the secrets that work at
// now. Every hash is compared, in constant time, so the time taken tells
// nothing about which secret, or how much of one, matched.
func VerifySecret(secrets []store.PortalSecret, secret string, now time.Time) bool {
	if secret == "" || len(secret) > maxSecretLength {
		return false
	}
	h := HashSecret(secret)
	match := 0
	for _, s := range secrets {
		if s.ValidAt(now) {
			match |= subtle.ConstantTimeCompare(h, s.Hash)
		}
	}
	return match == 1
}

// SecretReader reads a portal's secrets.
type SecretReader interface {
	PortalSecrets(ctx context.Context, orgID, portalID int64, now time.Time) ([]store.PortalSecret, error)
}

// CheckSecret reports whether secret authenticates the confidential
// portal p at now: what the token endpoint asks of a client's secret.
// A public portal has no secret and never passes.
func CheckSecret(ctx context.Context, st SecretReader, p store.Portal, secret string, now time.Time) (bool, error) {
	if !p.Confidential {
		return false, nil
	}
	secrets, err := st.PortalSecrets(ctx, p.OrgID, p.ID, now)
	if err != nil {
		return false, err
	}
	return VerifySecret(secrets, secret, now), nil
}
