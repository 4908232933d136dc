package oidc

import (
	"errors"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// accessTokenPrefix begins every access token, so secret scanners and
// people can tell one when they see it.
const accessTokenPrefix = "ims_at_"

// tokenCrypto is what the op package calls to turn an access token's ID
// into the bearer string a portal receives, and back. The ID is 256 random
// bits and only its SHA-256 is stored, so the bearer string is the ID
// itself: encrypting it (the library's default, a JWE) would hide nothing
// and cost a decryption on every userinfo and introspection request.
// The library hands over "ID:subject"; the subject is dropped, since every
// use looks the token up by its ID. Anything else (authorization codes,
// bearer strings issued before) goes to the library's AES-GCM crypto.
type tokenCrypto struct{ fallback op.Crypto }

func newTokenCrypto(key [32]byte) tokenCrypto {
	return tokenCrypto{fallback: op.NewAES256GCMCrypto(key, "")}
}

func (c tokenCrypto) Encrypt(s string) (string, error) {
	if id, _, ok := strings.Cut(s, ":"); ok {
		if id == "" {
			return "", errors.New("an access token needs an ID")
		}
		return accessTokenPrefix + id, nil
	}
	return c.fallback.Encrypt(s)
}

// Decrypt returns "ID:" for an access token: the library splits it into
// the ID and an empty subject, which storage does not use.
func (c tokenCrypto) Decrypt(s string) (string, error) {
	if id, ok := strings.CutPrefix(s, accessTokenPrefix); ok {
		if id == "" || strings.Contains(id, ":") {
			return "", errors.New("malformed access token")
		}
		return id + ":", nil
	}
	return c.fallback.Decrypt(s)
}
