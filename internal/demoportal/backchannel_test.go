package demoportal

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// testIssuer is an OpenID provider reduced to what a portal reads to
// verify a logout token: discovery and the JWKS with one ES256 key.
type testIssuer struct {
	url string
	key *ecdsa.PrivateKey
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &testIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /o/acme/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.url, "authorization_endpoint": is.url + "/authorize",
			"token_endpoint": is.url + "/oauth/token", "jwks_uri": is.url + "/keys", "end_session_endpoint": is.url + "/end_session",
			"id_token_signing_alg_values_supported": []string{"ES256"}})
	})
	mux.HandleFunc("GET /o/acme/keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	is.url = srv.URL + "/o/acme"
	return is
}

// sign makes a JWT of claims signed by key under the issuer's key ID.
func sign(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func postLogout(a *App, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/backchannel-logout", strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	return w
}

// withSignIns is a portal of the issuer with three browsers signed in:
// Ana twice (two IMS Login sessions), Bo once.
func withSignIns(is *testIssuer, now time.Time) *App {
	a := New(Config{Name: "Wiki", Issuer: is.url, ClientID: "wiki", ClientSecret: "s", URL: "http://127.0.0.1:2"})
	a.now = func() time.Time { return now }
	a.signins["b1"] = &Account{Subject: "sub-ana", SessionID: "sid-1", Name: "Ana"}
	a.signins["b2"] = &Account{Subject: "sub-ana", SessionID: "sid-2", Name: "Ana"}
	a.signins["b3"] = &Account{Subject: "sub-bo", SessionID: "sid-3", Name: "Bo"}
	return a
}

func signedIn(a *App) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Sorted(maps.Keys(a.signins))
}

// TestBackchannelLogoutRefusesBadTokens: every token that fails a check of
// Back-Channel Logout 1.0 (2.6) is refused with 400 and ends nothing.
func TestBackchannelLogoutRefusesBadTokens(t *testing.T) {
	is := newTestIssuer(t)
	now := time.Now()
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": is.url, "aud": "wiki", "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
			"jti": "j1", "sub": "sub-ana", "sid": "sid-1",
			"events": map[string]any{backchannelLogoutEvent: map[string]any{}}}
		if edit != nil {
			edit(c)
		}
		return c
	}
	for name, token := range map[string]string{
		"bad signature":       sign(t, other, claims(nil)),
		"altered payload":     tamper(sign(t, is.key, claims(nil))),
		"wrong audience":      sign(t, is.key, claims(func(c map[string]any) { c["aud"] = "board" })),
		"wrong issuer":        sign(t, is.key, claims(func(c map[string]any) { c["iss"] = "http://127.0.0.1:1/o/evil" })),
		"nonce present":       sign(t, is.key, claims(func(c map[string]any) { c["nonce"] = "n" })),
		"missing event":       sign(t, is.key, claims(func(c map[string]any) { c["events"] = map[string]any{} })),
		"event not an object": sign(t, is.key, claims(func(c map[string]any) { c["events"] = map[string]any{backchannelLogoutEvent: "yes"} })),
		"neither sub nor sid": sign(t, is.key, claims(func(c map[string]any) { delete(c, "sub"); delete(c, "sid") })),
		"expired":             sign(t, is.key, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() })),
		"no exp":              sign(t, is.key, claims(func(c map[string]any) { delete(c, "exp") })),
		"no iat":              sign(t, is.key, claims(func(c map[string]any) { delete(c, "iat") })),
		"iat in the future":   sign(t, is.key, claims(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })),
		"no jti":              sign(t, is.key, claims(func(c map[string]any) { delete(c, "jti") })),
		"not a token":         "not-a-token",
		"no logout_token":     "",
		"an ID token (nonce)": sign(t, is.key, claims(func(c map[string]any) { delete(c, "events"); c["nonce"] = "n" })),
		"unsigned (alg none)": unsigned(claims(nil)),
	} {
		a := withSignIns(is, now)
		w := postLogout(a, token)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400\n%s", name, w.Code, w.Body.String())
		}
		if got := signedIn(a); len(got) != 3 {
			t.Errorf("%s: signed in %v, want all three still signed in", name, got)
		}
	}
}

// tamper changes the payload of a signed token and keeps its signature.
func tamper(raw string) string {
	parts := strings.Split(raw, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"x"}`))
	return strings.Join(parts, ".")
}

func unsigned(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"logout+jwt"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// TestBackchannelLogoutEndsSignIns: a token with sid ends that session's
// sign-in alone; one with sub alone ends every sign-in of the member; the
// browser whose sign-in ended is told once, on its next page.
func TestBackchannelLogoutEndsSignIns(t *testing.T) {
	is := newTestIssuer(t)
	now := time.Now()
	token := func(sub, sid string) string {
		c := map[string]any{"iss": is.url, "aud": []string{"wiki"}, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
			"jti": rand.Text(), "events": map[string]any{backchannelLogoutEvent: map[string]any{}}}
		if sub != "" {
			c["sub"] = sub
		}
		if sid != "" {
			c["sid"] = sid
		}
		return sign(t, is.key, c)
	}
	a := withSignIns(is, now)
	if w := postLogout(a, token("sub-ana", "sid-1")); w.Code != http.StatusOK {
		t.Fatalf("sid and sub: %d\n%s", w.Code, w.Body.String())
	}
	if got := signedIn(a); !slices.Equal(got, []string{"b2", "b3"}) {
		t.Errorf("after the logout of sid-1: signed in %v, want b2 b3", got)
	}
	cookie := &http.Cookie{Name: "portal_wiki", Value: "b1"}
	w := serve(a, http.MethodGet, "/", cookie)
	if !strings.Contains(w.Body.String(), "You were signed out of Wiki") || !strings.Contains(w.Body.String(), `id="sign-in"`) {
		t.Errorf("the next page does not say the sign-in ended:\n%s", w.Body.String())
	}
	if c := w.Result().Cookies(); len(c) != 1 || c[0].MaxAge >= 0 {
		t.Errorf("the ended sign-in's cookie is not cleared: %v", c)
	}
	if w := serve(a, http.MethodGet, "/", cookie); strings.Contains(w.Body.String(), "You were signed out") {
		t.Error("the notice is shown twice")
	}
	if w := serve(a, http.MethodGet, "/", &http.Cookie{Name: "portal_wiki", Value: "b3"}); !strings.Contains(w.Body.String(), "Welcome, Bo") {
		t.Errorf("Bo's sign-in was disturbed:\n%s", w.Body.String())
	}

	a = withSignIns(is, now)
	if w := postLogout(a, token("sub-ana", "")); w.Code != http.StatusOK {
		t.Fatalf("sub alone: %d\n%s", w.Code, w.Body.String())
	}
	if got := signedIn(a); !slices.Equal(got, []string{"b3"}) {
		t.Errorf("after the logout of sub-ana: signed in %v, want b3", got)
	}

	a = withSignIns(is, now)
	if w := postLogout(a, token("", "sid-3")); w.Code != http.StatusOK {
		t.Fatalf("sid alone: %d\n%s", w.Code, w.Body.String())
	}
	if got := signedIn(a); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("after the logout of sid-3: signed in %v, want b1 b2", got)
	}
	if w := postLogout(a, token("", "sid-unknown")); w.Code != http.StatusOK || len(signedIn(a)) != 2 {
		t.Errorf("a session signed in nowhere here: %d, signed in %v; want 200 and nothing ended", w.Code, signedIn(a))
	}
}
