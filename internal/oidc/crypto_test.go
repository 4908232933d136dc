package oidc

import (
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
)

func TestAccessTokensAreTheirIDs(t *testing.T) {
	key := [32]byte{1, 2, 3}
	c := newTokenCrypto(key)
	id := randomID(32)
	bearer, err := op.CreateBearerToken(id, "subject", c)
	if err != nil || bearer != accessTokenPrefix+id {
		t.Fatalf("bearer %q, %v; want the prefix and the ID", bearer, err)
	}
	if got, err := c.Decrypt(bearer); err != nil || got != id+":" {
		t.Errorf("decrypt: %q, %v; want %q", got, err, id+":")
	}
	for _, bad := range []string{accessTokenPrefix, accessTokenPrefix + "a:b", "ims_at", "not a token"} {
		if got, err := c.Decrypt(bad); err == nil {
			t.Errorf("decrypt %q: %q, want an error", bad, got)
		}
	}
	// Bearer strings issued as the library's JWE still read, until they expire.
	old, err := op.NewAES256GCMCrypto(key, "").Encrypt(id + ":subject")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Decrypt(old); err != nil || got != id+":subject" {
		t.Errorf("an earlier bearer string: %q, %v", got, err)
	}
	// Codes are not access tokens: they stay sealed.
	code, err := c.Encrypt("auth-request-id")
	if err != nil || strings.Contains(code, "auth-request-id") || strings.HasPrefix(code, accessTokenPrefix) {
		t.Errorf("code %q, %v: want it sealed", code, err)
	}
}
