package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"imslogin/internal/store"
)

// OIDCStore is a store with the OpenID Connect provider's storage, which
// is not part of store.Store.
type OIDCStore interface {
	store.Store
	store.SigningKeys
	store.Grants
}

// RunOIDC runs the conformance cases of signing keys and grants.
func RunOIDC(t *testing.T, newStore func(t *testing.T) OIDCStore) {
	tests := []struct {
		name string
		run  func(t *testing.T, s OIDCStore)
	}{
		{"SigningKeys", testSigningKeys},
		{"AuthRequests", testAuthRequests},
		{"AuthCodeConcurrentUse", testAuthCodeConcurrentUse},
		{"Tokens", testTokens},
		{"RefreshRotationConcurrent", testRefreshRotationConcurrent},
		{"OIDCIsolation", testOIDCIsolation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

func testSigningKeys(t *testing.T, s OIDCStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	k1 := store.SigningKey{ID: "k1", OrgID: o.ID, Algorithm: "ES256", Public: []byte("pub1"), Private: []byte("priv1"),
		CreatedAt: now, ActiveFrom: now}
	k2 := k1
	k2.ID, k2.ActiveFrom = "k2", now.Add(24*time.Hour)
	for _, k := range []store.SigningKey{k1, k2} {
		if err := s.CreateSigningKey(ctx, &k); err != nil {
			t.Fatal(err)
		}
	}
	same := k2
	same.ID = "k3"
	if err := s.CreateSigningKey(ctx, &same); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second key for the same slot: %v, want ErrConflict", err)
	}
	list, err := s.SigningKeys(ctx, o.ID)
	if err != nil || len(list) != 2 || list[0].ID != "k2" || list[1].ID != "k1" {
		t.Fatalf("got %+v, %v; want k2 then k1", list, err)
	}
	if string(list[1].Private) != "priv1" || !list[1].ActiveFrom.Equal(now) {
		t.Errorf("got %+v, want the stored key", list[1])
	}
	if err := s.DeleteSigningKey(ctx, o.ID, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSigningKey(ctx, o.ID, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting again: %v, want ErrNotFound", err)
	}
}

func newAuthRequest(orgID int64, id string) store.AuthRequest {
	return store.AuthRequest{ID: id, OrgID: orgID, ClientID: "portal", RedirectURI: "https://portal.test/cb", State: "s",
		Nonce: "n", Scopes: []string{"openid", "email"}, ResponseType: "code", CodeChallenge: "c",
		CodeChallengeMethod: "S256", Prompt: []string{"login"}, MaxAge: -1, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
}

// doneWithCode stores a request, completes it and gives it a code.
func doneWithCode(t *testing.T, s OIDCStore, a store.AuthRequest, memberID int64, code string) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateAuthRequest(ctx, &a); err != nil {
		t.Fatal(err)
	}
	a.MemberID, a.SessionID, a.AuthTime, a.AMR = memberID, 7, now, []string{"pwd"}
	if err := s.CompleteAuthRequest(ctx, a, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAuthCode(ctx, a.OrgID, a.ID, tokenHash(code), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func testAuthRequests(t *testing.T, s OIDCStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	a := newAuthRequest(o.ID, "req1")
	if err := s.CreateAuthRequest(ctx, &a); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuthRequestByID(ctx, o.ID, "req1")
	if err != nil || got.State != "s" || len(got.Scopes) != 2 || got.MaxAge != -1 || got.Done || got.Prompt[0] != "login" {
		t.Fatalf("got %+v, %v; want the stored request", got, err)
	}
	if err := s.SaveAuthCode(ctx, o.ID, "req1", tokenHash("early"), now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("code before sign-in: %v, want ErrNotFound", err)
	}
	if err := s.BindAuthRequest(ctx, o.ID, "req1", []byte("browser"), now); err != nil {
		t.Fatal(err)
	}
	if err := s.BindAuthRequest(ctx, o.ID, "req1", []byte("browser"), now); err != nil {
		t.Errorf("same browser again: %v", err)
	}
	if err := s.BindAuthRequest(ctx, o.ID, "req1", []byte("other"), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another browser: %v, want ErrNotFound", err)
	}
	a.MemberID, a.SessionID, a.AuthTime, a.AMR = m.ID, 3, now, []string{"pwd", "otp"}
	if err := s.CompleteAuthRequest(ctx, a, now.Add(11*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("completing an expired request: %v, want ErrNotFound", err)
	}
	if err := s.CompleteAuthRequest(ctx, a, now); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteAuthRequest(ctx, a, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("completing twice: %v, want ErrNotFound", err)
	}
	if err := s.SaveAuthCode(ctx, o.ID, "req1", tokenHash("code1"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAuthCode(ctx, o.ID, "req1", tokenHash("code2"), now.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a second code: %v, want ErrNotFound", err)
	}
	if _, err := s.AuthRequestByCode(ctx, o.ID, tokenHash("code2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown code: %v, want ErrNotFound", err)
	}
	if read, err := s.AuthRequestByCode(ctx, o.ID, tokenHash("code1")); err != nil || read.ID != "req1" || !read.CodeUsedAt.IsZero() {
		t.Errorf("read by code: %+v, %v; want the request, its code not used", read, err)
	}

	// Stored bound, completed and with its code at once: it reads back so,
	// its code is found and spent once, and it stays bound to its browser.
	b := newAuthRequest(o.ID, "req2")
	b.BrowserHash, b.MemberID, b.SessionID, b.AuthTime, b.AMR, b.Done = []byte("browser"), m.ID, 4, now, []string{"pwd"}, true
	b.CodeHash, b.CodeExpiresAt = tokenHash("code3"), now.Add(time.Minute)
	if err := s.CreateAuthRequest(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AuthRequestByID(ctx, o.ID, "req2"); err != nil || !got.Done || got.MemberID != m.ID || got.SessionID != 4 ||
		!got.AuthTime.Equal(now) || string(got.BrowserHash) != "browser" || len(got.AMR) != 1 {
		t.Errorf("completed at creation: %+v, %v", got, err)
	}
	if err := s.BindAuthRequest(ctx, o.ID, "req2", []byte("other"), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("binding another browser to a request bound at creation: %v, want ErrNotFound", err)
	}
	if got, err := s.UseAuthCode(ctx, o.ID, tokenHash("code3"), now); err != nil || got.ID != "req2" {
		t.Errorf("spending the code stored with its request: %+v, %v", got, err)
	}
	if _, err := s.UseAuthCode(ctx, o.ID, tokenHash("code3"), now); err == nil {
		t.Error("the code stored with its request was spent twice")
	}
	if _, err := s.UseAuthCode(ctx, o.ID, tokenHash("code1"), now.Add(61*time.Second)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired code: %v, want ErrNotFound", err)
	}
	used, err := s.UseAuthCode(ctx, o.ID, tokenHash("code1"), now.Add(time.Second))
	if err != nil || used.MemberID != m.ID || used.SessionID != 3 || len(used.AMR) != 2 || !used.Done {
		t.Fatalf("got %+v, %v; want the completed request", used, err)
	}
	if read, err := s.AuthRequestByCode(ctx, o.ID, tokenHash("code1")); err != nil || !read.CodeUsedAt.Equal(now.Add(time.Second)) {
		t.Errorf("read by a used code: %+v, %v; want when it was used", read.CodeUsedAt, err)
	}
	again, err := s.UseAuthCode(ctx, o.ID, tokenHash("code1"), now.Add(2*time.Second))
	if !errors.Is(err, store.ErrConflict) || again.ID != "req1" {
		t.Errorf("reused code: %v %q, want ErrConflict naming the request", err, again.ID)
	}
	if err := s.DeleteAuthRequest(ctx, o.ID, "req1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthRequestByID(ctx, o.ID, "req1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted request: %v, want ErrNotFound", err)
	}
}

func testAuthCodeConcurrentUse(t *testing.T, s OIDCStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	doneWithCode(t, s, newAuthRequest(o.ID, "req1"), m.ID, "code")
	var wins, reuses atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UseAuthCode(ctx, o.ID, tokenHash("code"), now)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrConflict):
				reuses.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || reuses.Load() != 19 {
		t.Errorf("%d uses succeeded and %d were reuses, want 1 and 19", wins.Load(), reuses.Load())
	}
}

func newToken(orgID, memberID int64, kind, secret, family string) store.Token {
	return store.Token{OrgID: orgID, Kind: kind, Hash: tokenHash(secret), Family: family, ClientID: "portal",
		MemberID: memberID, SessionID: 0, Scopes: []string{"openid", "offline_access"}, AMR: []string{"pwd"},
		AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
}

func testTokens(t *testing.T, s OIDCStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	if err := s.CreateTokens(ctx, newToken(o.ID, m.ID, store.TokenAccess, "a1", "f1"),
		newToken(o.ID, m.ID, store.TokenRefresh, "r1", "f1")); err != nil {
		t.Fatalf("create a pair: %v", err)
	}
	if err := s.CreateTokens(ctx, newToken(o.ID, m.ID, store.TokenAccess, "a2", "f2")); err != nil {
		t.Fatalf("create one: %v", err)
	}
	if err := s.CreateTokens(ctx); err == nil {
		t.Error("creating no tokens did not fail")
	}
	// A pair of which one cannot be written (its hash is taken) writes neither.
	if err := s.CreateTokens(ctx, newToken(o.ID, m.ID, store.TokenAccess, "a3", "f3"),
		newToken(o.ID, m.ID, store.TokenRefresh, "r1", "f3")); err == nil {
		t.Error("a pair with a taken hash was written")
	}
	if _, err := s.TokenByHash(ctx, o.ID, store.TokenAccess, tokenHash("a3")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("half of a refused pair was written: %v", err)
	}
	got, err := s.TokenByHash(ctx, o.ID, store.TokenRefresh, tokenHash("r1"))
	if err != nil || got.Family != "f1" || got.MemberID != m.ID || len(got.Scopes) != 2 || !got.RotatedAt.IsZero() {
		t.Fatalf("got %+v, %v; want the refresh token", got, err)
	}
	if _, err := s.TokenByHash(ctx, o.ID, store.TokenAccess, tokenHash("r1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refresh token read as an access token: %v, want ErrNotFound", err)
	}
	if err := s.RotateRefreshToken(ctx, o.ID, tokenHash("r1"), now); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRefreshToken(ctx, o.ID, tokenHash("r1"), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rotating twice: %v, want ErrNotFound", err)
	}
	if got, _ := s.TokenByHash(ctx, o.ID, store.TokenRefresh, tokenHash("r1")); !got.RotatedAt.Equal(now) {
		t.Errorf("rotated at %v, want %v", got.RotatedAt, now)
	}
	if n, err := s.RevokeFamily(ctx, o.ID, "f1"); err != nil || n != 2 {
		t.Errorf("revoked %d, %v; want 2", n, err)
	}
	if _, err := s.TokenByHash(ctx, o.ID, store.TokenAccess, tokenHash("a2")); err != nil {
		t.Errorf("another family's token: %v, want it kept", err)
	}
	if err := s.DeleteToken(ctx, o.ID, store.TokenAccess, tokenHash("a2")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteMemberTokens(ctx, o.ID, m.ID, ""); err != nil || n != 0 {
		t.Errorf("deleted %d, %v; want none left", n, err)
	}
	sess := store.Session{TokenHash: tokenHash("sess"), OrgID: o.ID, MemberID: m.ID, CreatedAt: now, LastSeenAt: now,
		AuthTime: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, &sess); err != nil {
		t.Fatal(err)
	}
	testHeldTokens(t, s, o.ID, m, sess)
}

// testHeldTokens reads tokens with their member and session in one go.
func testHeldTokens(t *testing.T, s OIDCStore, orgID int64, m store.Member, sess store.Session) {
	ctx := context.Background()
	bound := newToken(orgID, m.ID, store.TokenAccess, "bound", "f3")
	bound.SessionID = sess.ID
	portalOwn := newToken(orgID, 0, store.TokenAccess, "own", "f4")
	offline := newToken(orgID, m.ID, store.TokenRefresh, "offline", "f5")
	for _, tok := range []*store.Token{&bound, &portalOwn, &offline} {
		if err := s.CreateTokens(ctx, *tok); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, secret, kind string
		at                 time.Time
		member             int64
		sessionOn          bool
	}{
		{"bound to a live session", "bound", store.TokenAccess, now, m.ID, true},
		{"bound to an ended session", "bound", store.TokenAccess, now.Add(time.Hour), m.ID, false},
		{"a portal's own", "own", store.TokenAccess, now, 0, true},
		{"offline", "offline", store.TokenRefresh, now.Add(time.Hour), m.ID, true},
	} {
		h, err := s.HeldToken(ctx, orgID, c.kind, tokenHash(c.secret), c.at)
		if err != nil || h.Hash == nil || h.Member.ID != c.member || h.SessionOn != c.sessionOn {
			t.Errorf("%s: member %d, session on %v, %v; want member %d, session on %v",
				c.name, h.Member.ID, h.SessionOn, err, c.member, c.sessionOn)
		}
		if c.member != 0 && (h.Member.Email != m.Email || h.Member.Status != m.Status || h.Member.Licensed != m.Licensed) {
			t.Errorf("%s: member %+v, want %+v", c.name, h.Member, m)
		}
	}
	if _, err := s.HeldToken(ctx, orgID, store.TokenRefresh, tokenHash("bound"), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an access token read as a refresh token: %v, want ErrNotFound", err)
	}
}

func testRefreshRotationConcurrent(t *testing.T, s OIDCStore) {
	ctx := context.Background()
	o := NewOrganisation(t, s, "Acme")
	m := NewMember(t, s, o.ID, "ana@acme.test")
	tok := newToken(o.ID, m.ID, store.TokenRefresh, "r1", "f1")
	if err := s.CreateTokens(ctx, tok); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.RotateRefreshToken(ctx, o.ID, tokenHash("r1"), now)
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, store.ErrNotFound) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of 50 rotations succeeded, want 1", wins.Load())
	}
}

func testOIDCIsolation(t *testing.T, s OIDCStore) {
	ctx := context.Background()
	a := NewOrganisation(t, s, "Acme")
	b := NewOrganisation(t, s, "Beta")
	m := NewMember(t, s, a.ID, "ana@acme.test")
	key := store.SigningKey{ID: "ka", OrgID: a.ID, Algorithm: "ES256", Public: []byte("p"), Private: []byte("s"),
		CreatedAt: now, ActiveFrom: now}
	if err := s.CreateSigningKey(ctx, &key); err != nil {
		t.Fatal(err)
	}
	doneWithCode(t, s, newAuthRequest(a.ID, "req1"), m.ID, "code")
	tok := newToken(a.ID, m.ID, store.TokenRefresh, "r1", "f1")
	if err := s.CreateTokens(ctx, tok); err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	if list, err := s.SigningKeys(ctx, b.ID); err != nil || len(list) != 0 {
		checks["SigningKeys"] = fmt.Errorf("got %d keys, %v", len(list), err)
	}
	checks["DeleteSigningKey"] = notFound(s.DeleteSigningKey(ctx, b.ID, "ka"))
	_, err := s.AuthRequestByID(ctx, b.ID, "req1")
	checks["AuthRequestByID"] = notFound(err)
	checks["BindAuthRequest"] = notFound(s.BindAuthRequest(ctx, b.ID, "req1", []byte("x"), now))
	_, err = s.AuthRequestByCode(ctx, b.ID, tokenHash("code"))
	checks["AuthRequestByCode"] = notFound(err)
	_, err = s.UseAuthCode(ctx, b.ID, tokenHash("code"), now)
	checks["UseAuthCode"] = notFound(err)
	checks["DeleteAuthRequest"] = notFound(s.DeleteAuthRequest(ctx, b.ID, "req1"))
	_, err = s.TokenByHash(ctx, b.ID, store.TokenRefresh, tokenHash("r1"))
	checks["TokenByHash"] = notFound(err)
	_, err = s.HeldToken(ctx, b.ID, store.TokenRefresh, tokenHash("r1"), now)
	checks["HeldToken"] = notFound(err)
	checks["RotateRefreshToken"] = notFound(s.RotateRefreshToken(ctx, b.ID, tokenHash("r1"), now))
	checks["DeleteToken"] = notFound(s.DeleteToken(ctx, b.ID, store.TokenRefresh, tokenHash("r1")))
	if n, err := s.RevokeFamily(ctx, b.ID, "f1"); err != nil || n != 0 {
		checks["RevokeFamily"] = fmt.Errorf("revoked %d, %v", n, err)
	}
	if n, err := s.DeleteMemberTokens(ctx, b.ID, m.ID, ""); err != nil || n != 0 {
		checks["DeleteMemberTokens"] = fmt.Errorf("deleted %d, %v", n, err)
	}
	for name, err := range checks {
		if err != nil {
			t.Errorf("%s across organisations: %v", name, err)
		}
	}
	if _, err := s.UseAuthCode(ctx, a.ID, tokenHash("code"), now); err != nil {
		t.Errorf("the code in its own organisation: %v", err)
	}
	if _, err := s.TokenByHash(ctx, a.ID, store.TokenRefresh, tokenHash("r1")); err != nil {
		t.Errorf("the token in its own organisation: %v", err)
	}
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return fmt.Errorf("got %v, want ErrNotFound", err)
}
