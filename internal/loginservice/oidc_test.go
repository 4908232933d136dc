package loginservice_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"imslogin/internal/loginservice"
)

// idp is a minimal OpenID Connect provider whose ID tokens each test
// shapes: signed by another key, for another audience, expired…
type idp struct {
	srv       *httptest.Server
	key       *rsa.PrivateKey // the published key
	signer    *rsa.PrivateKey // the key tokens are signed with
	challenge string          // the PKCE challenge of the last authorization request
	nonce     string
	edit      func(claims map[string]any)
	now       time.Time
	claimed   string // the issuer its discovery document names, if not its own
}

func newIdP(t *testing.T) *idp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key, signer: key, now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), edit: func(map[string]any) {}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		issuer := p.srv.URL
		if p.claimed != "" {
			issuer = p.claimed
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": "k1", "use": "sig",
			"alg": "RS256", "n": b64(p.key.N.Bytes()), "e": b64(big.NewInt(int64(p.key.E)).Bytes())}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if r.PostFormValue("code") != "the-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != p.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300,
			"id_token": p.idToken(t)})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) idToken(t *testing.T) string {
	claims := map[string]any{"iss": p.srv.URL, "aud": "acme", "sub": "u-42", "iat": p.now.Unix(),
		"exp": p.now.Add(5 * time.Minute).Unix(), "nonce": p.nonce, "preferred_username": "jdoe", "email": "jdoe@nih.test"}
	p.edit(claims)
	b64 := base64.RawURLEncoding.EncodeToString
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	signed := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.signer, crypto.SHA256, sum[:])
	if err != nil {
		t.Error(err)
	}
	return signed + "." + b64(sig)
}

// run begins a sign-in, lets the provider answer with the code, and
// finishes it with attempt a (the one begun unless changed by alter).
func (p *idp) run(t *testing.T, alter func(*loginservice.Attempt)) (loginservice.Identity, error) {
	t.Helper()
	kind := &loginservice.OIDC{Now: func() time.Time { return p.now }}
	c := loginservice.Config{Issuer: p.srv.URL, ClientID: "acme", ClientSecret: "s", UsernameClaim: "preferred_username",
		RedirectURI: "http://127.0.0.1/cb"}
	a := loginservice.Attempt{State: "st", Nonce: "n-1", Verifier: strings.Repeat("v", 43)}
	to, err := kind.Begin(context.Background(), c, a)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(to)
	q := u.Query()
	if q.Get("state") != "st" || q.Get("nonce") != "n-1" || q.Get("code_challenge_method") != "S256" ||
		q.Get("redirect_uri") != c.RedirectURI || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("authorization request %s lacks state, nonce, PKCE, redirect URI or scope", to)
	}
	p.challenge, p.nonce = q.Get("code_challenge"), q.Get("nonce")
	if alter != nil {
		alter(&a)
	}
	return kind.Finish(context.Background(), c, a, url.Values{"code": {"the-code"}, "state": {"st"}})
}

func TestOIDCVerifiesTheIDToken(t *testing.T) {
	p := newIdP(t)
	id, err := p.run(t, nil)
	if err != nil || id.Subject != "u-42" || id.Username != "jdoe" || id.Email != "jdoe@nih.test" {
		t.Fatalf("a valid answer: %+v, %v", id, err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	cases := []struct {
		name  string
		setup func()
		alter func(*loginservice.Attempt)
	}{
		{"bad signature", func() { p.signer = other }, nil},
		{"wrong issuer", func() { p.edit = func(c map[string]any) { c["iss"] = "https://evil.test" } }, nil},
		{"wrong audience", func() { p.edit = func(c map[string]any) { c["aud"] = "someone-else" } }, nil},
		{"nonce mismatch", func() { p.edit = func(c map[string]any) { c["nonce"] = "n-2" } }, nil},
		{"expired token", func() { p.edit = func(c map[string]any) { c["exp"] = p.now.Add(-time.Hour).Unix() } }, nil},
		{"no subject", func() { p.edit = func(c map[string]any) { delete(c, "sub") } }, nil},
		{"wrong PKCE verifier", func() {}, func(a *loginservice.Attempt) { a.Verifier = strings.Repeat("w", 43) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.signer, p.edit = p.key, func(map[string]any) {}
			tc.setup()
			id, err := p.run(t, tc.alter)
			if err == nil {
				t.Fatalf("accepted: %+v", id)
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestOIDCServiceError(t *testing.T) {
	p := newIdP(t)
	kind := &loginservice.OIDC{}
	_, err := kind.Finish(context.Background(), loginservice.Config{Issuer: p.srv.URL, ClientID: "acme"},
		loginservice.Attempt{}, url.Values{"error": {"access_denied"}})
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("an error answer: %v", err)
	}
}

// TestOIDCRefusesMetadataOfAnotherIssuer: a discovery document naming
// another issuer than the one configured is refused before any redirect.
func TestOIDCRefusesMetadataOfAnotherIssuer(t *testing.T) {
	p := newIdP(t)
	p.claimed = "https://login.nih.test"
	kind := &loginservice.OIDC{Now: func() time.Time { return p.now }}
	to, err := kind.Begin(context.Background(), loginservice.Config{Issuer: p.srv.URL, ClientID: "acme",
		RedirectURI: "http://127.0.0.1/cb"}, loginservice.Attempt{State: "st", Nonce: "n", Verifier: strings.Repeat("v", 43)})
	if err == nil {
		t.Fatalf("metadata of another issuer accepted: sent to %s", to)
	}
}
