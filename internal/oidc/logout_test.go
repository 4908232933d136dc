package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"imslogin/internal/audit"
	"imslogin/internal/oidc"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// portal is a test portal's back-channel logout endpoint: it keeps every
// logout token it receives, or answers 503 while down.
type portal struct {
	srv    *httptest.Server
	down   atomic.Bool
	mu     sync.Mutex
	tokens []string
}

func newPortal(t *testing.T) *portal {
	p := &portal{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "want a form POST", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.tokens = append(p.tokens, r.PostFormValue("logout_token"))
		p.mu.Unlock()
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *portal) received() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tokens...)
}

// withPortals gives spa and web back-channel logout URIs.
func (e *env) withPortals(t *testing.T) (spa, web *portal) {
	spa, web = newPortal(t), newPortal(t)
	for id, p := range map[string]*portal{"spa": spa, "web": web} {
		c := e.reg.portals[id]
		c.BackchannelLogoutURI = p.srv.URL + "/backchannel"
		e.reg.portals[id] = c
	}
	return spa, web
}

// logoutClaims is what a logout token carries.
type logoutClaims struct {
	Iss    string                     `json:"iss"`
	Aud    any                        `json:"aud"`
	Iat    int64                      `json:"iat"`
	Jti    string                     `json:"jti"`
	Sub    string                     `json:"sub"`
	Sid    string                     `json:"sid"`
	Nonce  *string                    `json:"nonce"`
	Events map[string]json.RawMessage `json:"events"`
}

// verifyLogout checks a logout token's signature against the
// organisation's JWKS and its claims (Back-Channel Logout 1.0, 2.4).
func (e *env) verifyLogout(t *testing.T, raw, clientID string) logoutClaims {
	t.Helper()
	payload, err := gooidc.NewRemoteKeySet(context.Background(), e.issuer+"/keys").VerifySignature(context.Background(), raw)
	if err != nil {
		t.Fatalf("logout token signature: %v", err)
	}
	var c logoutClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iss != e.issuer || c.Aud != clientID || c.Iat == 0 || c.Jti == "" || c.Sub == "" || c.Sid == "" || c.Nonce != nil {
		t.Errorf("logout token claims %+v, want iss %s, aud %s, iat, jti, sub, sid and no nonce", c, e.issuer, clientID)
	}
	if ev, ok := c.Events[oidc.BackchannelLogoutEvent]; !ok || string(ev) != "{}" {
		t.Errorf("events %v, want {%q: {}}", c.Events, oidc.BackchannelLogoutEvent)
	}
	return c
}

// idClaims are the sub and sid a portal received in its ID token.
type idClaims struct{ Sub, Sid string }

// exchange redeems a code and returns the tokens and the ID token's sub and sid.
func (e *env) exchange(t *testing.T, conf *oauth2.Config, verifier, code string) (*oauth2.Token, idClaims) {
	t.Helper()
	tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := e.provider.Verifier(&gooidc.Config{ClientID: conf.ClientID}).Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Sid string `json:"sid"`
	}
	idt.Claims(&c)
	return tok, idClaims{Sub: idt.Subject, Sid: c.Sid}
}

// second signs the browser c in to another portal without a new sign-in.
func (e *env) second(t *testing.T, c *http.Client, conf *oauth2.Config) (*oauth2.Token, idClaims) {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	resp, _ := e.follow(t, c, conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier)))
	return e.exchange(t, conf, verifier, e.codeFrom(t, resp, "s2"))
}

// deliver runs the logout worker by hand.
func (e *env) deliver(t *testing.T) int {
	t.Helper()
	n, err := e.app.Server.Logouts.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDiscoveryAdvertisesBackchannelLogout(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	if doc["backchannel_logout_supported"] != true || doc["backchannel_logout_session_supported"] != true {
		t.Errorf("discovery: backchannel_logout_supported %v, backchannel_logout_session_supported %v; want true",
			doc["backchannel_logout_supported"], doc["backchannel_logout_session_supported"])
	}
}

// TestSignOutTellsThePortals: a browser signed in to two portals signs out
// of IMS Login: each portal gets one logout token with the sub and sid of
// its ID token, and the session's access tokens stop working.
func TestSignOutTellsThePortals(t *testing.T) {
	e := newEnv(t)
	spaPortal, webPortal := e.withPortals(t)
	conf := e.config("spa")
	c, verifier, code := e.login(t, conf)
	spaTok, spaID := e.exchange(t, conf, verifier, code)
	_, webID := e.second(t, c, e.config("web"))
	if n := e.deliver(t); n != 0 {
		t.Fatalf("%d logouts delivered before any sign-out", n)
	}
	if resp, _ := e.app.Post(t, c, "/logout", url.Values{}); resp.StatusCode >= 400 {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if n := e.deliver(t); n != 2 {
		t.Errorf("%d logouts delivered, want 2", n)
	}
	for _, pc := range []struct {
		p  *portal
		id string
		c  idClaims
	}{{spaPortal, "spa", spaID}, {webPortal, "web", webID}} {
		got := pc.p.received()
		if len(got) != 1 {
			t.Fatalf("portal %s received %d logout tokens, want 1", pc.id, len(got))
		}
		if c := e.verifyLogout(t, got[0], pc.id); c.Sub != pc.c.Sub || c.Sid != pc.c.Sid {
			t.Errorf("portal %s told sub %q sid %q, want its ID token's %q %q", pc.id, c.Sub, c.Sid, pc.c.Sub, pc.c.Sid)
		}
	}
	if _, err := e.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(spaTok)); err == nil {
		t.Error("the access token outlived the session")
	}
	if n := e.deliver(t); n != 0 || len(spaPortal.received()) != 1 {
		t.Errorf("a second run delivered %d more", n)
	}
}

// TestEndSessionTellsTheOtherPortals: RP-initiated logout from one portal
// tells the other, not the one that asked.
func TestEndSessionTellsTheOtherPortals(t *testing.T) {
	e := newEnv(t)
	spaPortal, webPortal := e.withPortals(t)
	conf := e.config("spa")
	c, verifier, code := e.login(t, conf)
	spaTok, _ := e.exchange(t, conf, verifier, code)
	_, webID := e.second(t, c, e.config("web"))
	q := url.Values{"id_token_hint": {spaTok.Extra("id_token").(string)}, "post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}}
	resp, err := c.Get(e.issuer + "/end_session?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Location"), "http://127.0.0.1:9/bye") {
		t.Fatalf("end session went to %q", resp.Header.Get("Location"))
	}
	e.deliver(t)
	if got := spaPortal.received(); len(got) != 0 {
		t.Errorf("the portal that asked was told too: %d tokens", len(got))
	}
	got := webPortal.received()
	if len(got) != 1 {
		t.Fatalf("the other portal received %d logout tokens, want 1", len(got))
	}
	if c := e.verifyLogout(t, got[0], "web"); c.Sid != webID.Sid {
		t.Errorf("sid %q, want %q", c.Sid, webID.Sid)
	}
}

// TestSignOutEverywhereTellsEveryPortalOfEverySession: two browsers, each
// signed in to a portal; sign out everywhere from one tells both portals,
// and the refresh token of offline access ends too.
func TestSignOutEverywhereTellsEveryPortalOfEverySession(t *testing.T) {
	e := newEnv(t)
	spaPortal, webPortal := e.withPortals(t)
	conf := e.config("spa")
	c1, verifier, code := e.login(t, conf)
	_, id1 := e.exchange(t, conf, verifier, code)
	web := e.config("web", gooidc.ScopeOfflineAccess)
	_, verifier2, code2 := e.login(t, web)
	webTok, id2 := e.exchange(t, web, verifier2, code2)
	if id1.Sid == id2.Sid || webTok.RefreshToken == "" {
		t.Fatalf("two sessions share sid %q, or no refresh token with offline_access", id1.Sid)
	}
	if resp, body := e.app.Post(t, c1, "/logout-everywhere", url.Values{}); resp.StatusCode >= 400 {
		t.Fatalf("sign out everywhere: %d\n%s", resp.StatusCode, body)
	}
	if n := e.deliver(t); n != 2 {
		t.Errorf("%d logouts delivered, want 2", n)
	}
	if got := spaPortal.received(); len(got) != 1 || e.verifyLogout(t, got[0], "spa").Sid != id1.Sid {
		t.Errorf("spa told %d times, want once with the first session's sid", len(got))
	}
	if got := webPortal.received(); len(got) != 1 || e.verifyLogout(t, got[0], "web").Sid != id2.Sid {
		t.Errorf("web told %d times, want once with the second session's sid", len(got))
	}
	if _, err := refresh(context.Background(), web, webTok.RefreshToken); err == nil {
		t.Error("the offline refresh token outlived sign out everywhere")
	}
}

// TestDisabledMemberIsSignedOutOfPortals: an administrator disables Bo:
// Bo's tokens are refused at userinfo and introspection, and the portal
// is told.
func TestDisabledMemberIsSignedOutOfPortals(t *testing.T) {
	e := newEnv(t)
	_, webPortal := e.withPortals(t)
	bo := e.app.AddMember(t, "bo@acme.test", nil)
	web := e.config("web", gooidc.ScopeOfflineAccess)
	c := e.app.Browser(t)
	verifier := oauth2.GenerateVerifier()
	resp, _ := e.follow(t, c, web.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	u := resp.Request.URL
	resp, body := e.app.Post(t, c, u.Path, url.Values{"email": {"bo@acme.test"}, "password": {servertest.Password},
		"return_to": {u.Query().Get("return_to")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Bo signs in: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = e.follow(t, c, resp.Header.Get("Location"))
	tok, id := e.exchange(t, web, verifier, e.codeFrom(t, resp, "state-1"))

	admin := e.app.Browser(t)
	e.app.SignIn(t, admin, "ana@acme.test")
	if resp, body := e.app.Post(t, admin, "/admin/members/"+strconv.FormatInt(bo.ID, 10)+"/disable", url.Values{}); resp.StatusCode >= 400 {
		t.Fatalf("disable: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo answered for a disabled member")
	}
	status, intro := postForm(t, e.issuer+"/oauth/introspect", "web", "web-secret", url.Values{"token": {tok.AccessToken}})
	if status != http.StatusOK || intro["active"] != false {
		t.Errorf("introspection: %d %v, want inactive", status, intro)
	}
	if _, err := refresh(context.Background(), web, tok.RefreshToken); err == nil {
		t.Error("the refresh token of a disabled member still works")
	}
	if resp, body := e.app.Post(t, admin, "/admin/members/"+strconv.FormatInt(bo.ID, 10)+"/enable", url.Values{}); resp.StatusCode >= 400 {
		t.Fatalf("enable: %d\n%s", resp.StatusCode, body)
	}
	if m, _ := e.app.DB.MemberByID(context.Background(), e.app.Org.ID, bo.ID); m.Status != store.StatusActive {
		t.Fatalf("Bo is %s after being re-enabled", m.Status)
	}
	if _, err := refresh(context.Background(), web, tok.RefreshToken); err == nil {
		t.Error("the refresh token works again once Bo is re-enabled: it was refused, not ended")
	}
	e.deliver(t)
	got := webPortal.received()
	if len(got) != 1 {
		t.Fatalf("the portal received %d logout tokens, want 1", len(got))
	}
	if c := e.verifyLogout(t, got[0], "web"); c.Sub != id.Sub || c.Sid != id.Sid {
		t.Errorf("told sub %q sid %q, want %q %q", c.Sub, c.Sid, id.Sub, id.Sid)
	}
}

// TestLogoutIsRetriedWhileThePortalIsDown: the portal answers 503; the
// message waits (not due again at once), and is delivered once the portal
// is back and the wait has passed, exactly once.
func TestLogoutIsRetriedWhileThePortalIsDown(t *testing.T) {
	e := newEnv(t)
	spaPortal, _ := e.withPortals(t)
	conf := e.config("spa")
	c, verifier, code := e.login(t, conf)
	e.exchange(t, conf, verifier, code)
	spaPortal.down.Store(true)
	e.app.Post(t, c, "/logout", url.Values{})
	if n := e.deliver(t); n != 0 {
		t.Fatalf("%d delivered to a portal that is down", n)
	}
	spaPortal.down.Store(false)
	if n := e.deliver(t); n != 0 {
		t.Errorf("retried at once: %d delivered, want the wait first", n)
	}
	e.app.Clock.Advance(31 * time.Second)
	if n := e.deliver(t); n != 1 {
		t.Errorf("after the wait: %d delivered, want 1", n)
	}
	e.app.Clock.Advance(time.Hour)
	if n := e.deliver(t); n != 0 || len(spaPortal.received()) != 1 {
		t.Errorf("delivered again: %d, received %d", n, len(spaPortal.received()))
	}
	list, err := e.app.DB.OrganisationLogouts(context.Background(), e.app.Org.ID, 10)
	if err != nil || len(list) != 1 || list[0].Attempts != 2 || list[0].Status != store.MailSent {
		t.Errorf("outbox %+v, %v; want one message sent at the second attempt", list, err)
	}
}

// TestGivingUpOnALogoutIsAudited: a portal down at every attempt; when
// the worker gives up (its last attempt), an audit entry about the member
// names the portal, not only a log line. A retry to come writes none.
func TestGivingUpOnALogoutIsAudited(t *testing.T) {
	sqltest.Each(t, givingUpIsAudited)
}

func givingUpIsAudited(t *testing.T, db *sqlstore.DB) {
	e := newEnvOn(t, db)
	spaPortal, _ := e.withPortals(t)
	conf := e.config("spa")
	c, verifier, code := e.login(t, conf)
	e.exchange(t, conf, verifier, code)
	spaPortal.down.Store(true)
	e.app.Post(t, c, "/logout", url.Values{})
	w := *e.app.Server.Logouts
	w.MaxAttempts = 2
	for attempt, want := range []int{0, 1} {
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := e.auditKinds(t)[audit.LogoutFailed]; n != want {
			t.Errorf("after attempt %d of 2: %d %s entries, want %d", attempt+1, n, audit.LogoutFailed, want)
		}
		e.app.Clock.Advance(31 * time.Second)
	}
	list, err := e.app.DB.AuditEvents(context.Background(), e.app.Org.ID, store.AuditFilter{Kind: audit.LogoutFailed})
	if err != nil || len(list) != 1 || list[0].MemberID != e.app.Member.ID || !strings.Contains(list[0].Detail, "spa") ||
		!strings.Contains(list[0].Detail, "503") {
		t.Errorf("audit %+v, %v; want one entry about Ana naming the portal and its answer", list, err)
	}
}

// TestTwoWorkersDeliverEachLogoutOnce: two nodes' workers on one
// PostgreSQL database, running at once, deliver every queued logout
// exactly once between them.
func TestTwoWorkersDeliverEachLogoutOnce(t *testing.T) {
	e := newEnvOn(t, sqltest.NewPostgres(t))
	spaPortal, _ := e.withPortals(t)
	ctx := context.Background()
	const messages = 40
	for i := range messages {
		m := store.LogoutMessage{OrgID: e.app.Org.ID, ClientID: "spa", MemberID: e.app.Member.ID, SessionID: int64(i + 1),
			JTI: "jti-" + strconv.Itoa(i), NextAttemptAt: e.app.Clock.Now(), CreatedAt: e.app.Clock.Now()}
		if err := e.app.DB.EnqueueLogout(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		w := *e.app.Server.Logouts // another node's worker: its own claims, the same database
		w.Batch = 3
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := w.RunOnce(ctx)
				if err != nil {
					t.Errorf("worker: %v", err)
					return
				}
				if n == 0 {
					return
				}
				total.Add(int64(n))
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, raw := range spaPortal.received() {
		seen[e.verifyLogout(t, raw, "spa").Jti]++
	}
	if total.Load() != messages || len(seen) != messages {
		t.Errorf("delivered %d, %d distinct; want %d", total.Load(), len(seen), messages)
	}
	for jti, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", jti, n)
		}
	}
}
