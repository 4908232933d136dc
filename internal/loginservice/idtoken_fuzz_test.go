package loginservice

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// FuzzVerifiedIDToken: of the ID tokens a login service's callback may
// bring, only one the service signed, for our client, from its issuer,
// unexpired and carrying this sign-in's nonce, yields an identity: a token
// tampered with, re-signed with another key or algorithm, or unsigned is
// refused. The seeds are tokens signed with a test key, good and bad.
func FuzzVerifiedIDToken(f *testing.F) {
	const issuer, clientID, nonce = "https://login.example.org", "ims-portal", "n-1"
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	// Fixed keys: the seeds signed here are checked again in the fuzzing
	// workers, which run this setup each.
	key, _ := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{7}, 32))
	other, _ := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{8}, 32))
	sign := func(k *ecdsa.PrivateKey, claims map[string]any) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			f.Fatal(err)
		}
		payload, _ := json.Marshal(claims)
		jws, err := signer.Sign(payload)
		if err != nil {
			f.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": issuer, "aud": clientID, "sub": "u-42", "nonce": nonce, "email": "ana@example.org",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "amr": []string{"pwd", "otp"}}
		if edit != nil {
			edit(c)
		}
		return c
	}
	good := sign(key, claims(nil))
	goodPayload := strings.Split(good, ".")[1]
	f.Add(good)
	f.Add(sign(key, claims(func(c map[string]any) { c["aud"] = "another-portal" })))
	f.Add(sign(key, claims(func(c map[string]any) { c["iss"] = "https://evil.example" })))
	f.Add(sign(key, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() })))
	f.Add(sign(key, claims(func(c map[string]any) { c["nonce"] = "n-2" })))
	f.Add(sign(key, claims(func(c map[string]any) { c["sub"] = "" })))
	f.Add(sign(other, claims(nil)))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	f.Add(none + "." + goodPayload + ".")
	hs := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`))
	f.Add(hs + "." + goodPayload + "." + strings.Split(good, ".")[2])
	// HS256 is allowed too, so the seed re-signed as HS256 (the public key as
	// a shared secret) reaches the key check.
	v := gooidc.NewVerifier(issuer, &gooidc.StaticKeySet{PublicKeys: []crypto.PublicKey{key.Public()}},
		&gooidc.Config{ClientID: clientID, Now: func() time.Time { return now }, SupportedSigningAlgs: []string{"ES256", "HS256"}})
	ctx := context.Background()
	if id, err := verified(ctx, v, good, nonce, ""); err != nil || id.Subject != "u-42" || id.Username != "ana@example.org" {
		f.Fatalf("the good token: %+v, %v", id, err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := verified(ctx, v, raw, nonce, "")
		if err != nil {
			return
		}
		parts := strings.Split(raw, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		want, _ := base64.RawURLEncoding.DecodeString(goodPayload)
		if string(payload) != string(want) || id.Subject != "u-42" {
			t.Fatalf("%q accepted as %+v", raw, id)
		}
	})
}
