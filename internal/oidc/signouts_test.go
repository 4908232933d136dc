package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"imslogin/internal/audit"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/token"
)

// loginAs runs the code flow through the real sign-in page as email, in a
// fresh browser, and returns the browser, the tokens and the ID token's
// sub and sid.
func (e *env) loginAs(t *testing.T, conf *oauth2.Config, email string) (*http.Client, *oauth2.Token, idClaims) {
	t.Helper()
	c := e.app.Browser(t)
	verifier := oauth2.GenerateVerifier()
	resp, _ := e.follow(t, c, conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	u := resp.Request.URL
	if u.Path != "/o/acme/login" {
		t.Fatalf("authorize ended at %s, want the sign-in page", u)
	}
	resp, body := e.app.Post(t, c, u.Path, url.Values{"email": {email}, "password": {servertest.Password},
		"return_to": {u.Query().Get("return_to")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s signs in: %d\n%s", email, resp.StatusCode, body)
	}
	resp, _ = e.follow(t, c, resp.Header.Get("Location"))
	tok, id := e.exchange(t, conf, verifier, e.codeFrom(t, resp, "state-1"))
	return c, tok, id
}

// signedIn reports whether browser c is signed in to IMS Login.
func (e *env) signedIn(t *testing.T, c *http.Client) bool {
	t.Helper()
	resp, _ := e.app.Get(t, c, "/dashboard")
	return resp.StatusCode == http.StatusOK
}

// bosBrowsers is Bo signed in on two browsers: the first to spa (tokens
// bound to the session), the second to web with offline access (a refresh
// token that outlives sessions).
type bosBrowsers struct {
	bo             store.Member
	c1, c2         *http.Client
	spaTok, webTok *oauth2.Token
	spaID, webID   idClaims
}

// TestSignOutsEndTokensAndTellPortals: a password reset, a password
// change, the loss of the licence and an administrator's "sign out" each
// end Bo's sessions and tokens as docs/OIDC.md says, and queue one
// back-channel logout for each portal each session signed in to; Ana,
// signed in to the same portal, is neither told about nor signed out.
func TestSignOutsEndTokensAndTellPortals(t *testing.T) {
	admin := func(e *env, path string, form url.Values) {
		t.Helper()
		c := e.app.Browser(t)
		e.app.SignIn(t, c, "ana@acme.test")
		if resp, body := e.app.Post(t, c, path, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	for _, tc := range []struct {
		name string
		act  func(t *testing.T, e *env, b bosBrowsers)
		// everything: every token of Bo's ends, offline ones too; else only
		// those bound to a session.
		everything bool
		// actorStays: the browser that acted has a new session.
		actorStays bool
		// undo, if set, gives back what the action took before the
		// refresh token is tried: the tokens must have ended, not merely
		// be refused for now.
		undo func(t *testing.T, e *env, b bosBrowsers)
	}{
		{"password reset", func(t *testing.T, e *env, b bosBrowsers) {
			raw, err := token.Issue(context.Background(), e.app.DB, b.bo, store.LinkReset, e.app.Clock.Now(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			const pw = "violet mango tractor glacier"
			resp, body := e.app.Post(t, e.app.Browser(t), "/reset-password", url.Values{"token": {raw}, "password": {pw}, "password_confirm": {pw}})
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Fatalf("reset: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		}, true, false, nil},
		{"password change", func(t *testing.T, e *env, b bosBrowsers) {
			const pw = "violet mango tractor glacier"
			resp, body := e.app.Post(t, b.c1, "/profile/password", url.Values{"current_password": {servertest.Password},
				"password": {pw}, "password_confirm": {pw}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
				t.Fatalf("change: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		}, true, true, nil},
		{"licence lost", func(t *testing.T, e *env, b bosBrowsers) {
			admin(e, "/admin/members/"+strconv.FormatInt(b.bo.ID, 10)+"/access", url.Values{"role": {string(store.RoleMember)}})
			if m, _ := e.app.DB.MemberByID(context.Background(), e.app.Org.ID, b.bo.ID); m.Licensed {
				t.Fatal("Bo still has a licence")
			}
		}, true, false, func(t *testing.T, e *env, b bosBrowsers) {
			admin(e, "/admin/members/"+strconv.FormatInt(b.bo.ID, 10)+"/access", url.Values{"role": {string(store.RoleMember)}, "licensed": {"on"}})
		}},
		{"administrator's sign out", func(t *testing.T, e *env, b bosBrowsers) {
			admin(e, "/admin/members/"+strconv.FormatInt(b.bo.ID, 10)+"/signout", url.Values{})
		}, true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			spaPortal, webPortal := e.withPortals(t)
			spa, web := e.config("spa"), e.config("web", gooidc.ScopeOfflineAccess)
			b := bosBrowsers{bo: e.app.AddMember(t, "bo@acme.test", nil)}
			b.c1, b.spaTok, b.spaID = e.loginAs(t, spa, "bo@acme.test")
			b.c2, b.webTok, b.webID = e.loginAs(t, web, "bo@acme.test")
			_, anaTok, _ := e.loginAs(t, spa, "ana@acme.test")
			if b.spaID.Sid == b.webID.Sid || b.webTok.RefreshToken == "" {
				t.Fatalf("Bo's two browsers share sid %q, or web has no refresh token", b.spaID.Sid)
			}
			ended := e.auditKinds(t)[audit.TokensEnded]

			tc.act(t, e, b)

			if n := e.deliver(t); n != 2 {
				t.Errorf("%d logouts delivered, want 2 (one for each of Bo's sessions)", n)
			}
			for _, pc := range []struct {
				p  *portal
				id string
				c  idClaims
			}{{spaPortal, "spa", b.spaID}, {webPortal, "web", b.webID}} {
				got := pc.p.received()
				if len(got) != 1 {
					t.Errorf("portal %s received %d logout tokens, want 1", pc.id, len(got))
					continue
				}
				if c := e.verifyLogout(t, got[0], pc.id); c.Sub != pc.c.Sub || c.Sid != pc.c.Sid {
					t.Errorf("portal %s told sub %q sid %q, want Bo's %q %q", pc.id, c.Sub, c.Sid, pc.c.Sub, pc.c.Sid)
				}
			}
			ctx := context.Background()
			if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(b.spaTok)); err == nil {
				t.Error("Bo's access token bound to a session still works")
			}
			if _, err := e.provider.UserInfo(ctx, oauth2.StaticTokenSource(anaTok)); err != nil {
				t.Errorf("Ana's access token ended with Bo's sign-out: %v", err)
			}
			if tc.undo != nil {
				tc.undo(t, e, b)
			}
			_, err := refresh(ctx, web, b.webTok.RefreshToken)
			if tc.everything && err == nil {
				t.Error("Bo's offline refresh token outlived the sign-out")
			}
			if !tc.everything && err != nil {
				t.Errorf("Bo's offline refresh token ended: %v", err)
			}
			if e.signedIn(t, b.c2) {
				t.Error("Bo's other browser is still signed in to IMS Login")
			}
			if got := e.signedIn(t, b.c1); got != tc.actorStays {
				t.Errorf("the first browser signed in: %v, want %v", got, tc.actorStays)
			}
			wantEnded := ended
			if tc.everything {
				wantEnded++
			}
			if got := e.auditKinds(t)[audit.TokensEnded]; got != wantEnded {
				t.Errorf("%d %s audit entries, want %d", got, audit.TokensEnded, wantEnded)
			}
			if n := e.deliver(t); n != 0 {
				t.Errorf("a second run delivered %d more", n)
			}
		})
	}
}
