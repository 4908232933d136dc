package server_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/token"
)

// TestDatabaseRoundTrips pins how many statements the hot paths send, so a
// change that adds one fails here and has to say why.
func TestDatabaseRoundTrips(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	c := app.Browser(t)
	before := app.DB.RoundTrips()
	resp, _ := app.Post(t, c, "/login", url.Values{"organisation": {"Acme"}, "email": {"ana@acme.test"}, "password": {servertest.Password}})
	if resp.StatusCode != 303 {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	// the organisation, member and lock check in one read; the attempt
	// counted before the hash (one atomic upsert, so no burst passes the
	// lockout); the MFA policy with the member's factors, read once for both
	// the phone and mfa steps; then one transaction (begin, the count
	// cleared, the session, the audit entry, commit). The sign-in time is
	// written later, in a batch with others.
	if got, want := app.DB.RoundTrips()-before, int64(8); got != want {
		t.Errorf("a password sign-in sent %d statements, want %d", got, want)
	}
	app.Get(t, c, "/dashboard") // first check after sign-in
	before = app.DB.RoundTrips()
	for range 10 {
		if resp, _ := app.Get(t, c, "/whoami"); resp.StatusCode != 200 {
			t.Fatalf("whoami: %d", resp.StatusCode)
		}
	}
	if got := app.DB.RoundTrips() - before; got != 10 {
		t.Errorf("10 session checks sent %d statements, want 10 (one lookup each, no writes)", got)
	}
}

// TestRememberedBrowserRoundTrips pins a sign-in that skips MFA on a
// remembered browser, where both the phone step (text messages allowed, no
// phone yet) and the mfa step ask whether the browser is trusted: the
// device is looked up once.
func TestRememberedBrowserRoundTrips(t *testing.T) {
	app := servertest.New(t, servertest.Options{})
	requireMFA(t, app, "email", "sms")
	c := app.Browser(t)
	token, hash := token.New()
	now := app.Clock.Now()
	dev := store.TrustedDevice{TokenHash: hash, OrgID: app.Org.ID, MemberID: app.Member.ID, CreatedAt: now, LastUsedAt: now,
		ExpiresAt: now.Add(24 * time.Hour)}
	if err := app.DB.CreateTrustedDevice(context.Background(), &dev); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(app.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "ims_trusted", Value: token, Path: "/"}})
	before := app.DB.RoundTrips()
	if loc := startSignIn(t, app, c, "ana@acme.test"); loc != "/dashboard" {
		t.Fatalf("remembered browser went to %s", loc)
	}
	// the eight of a password sign-in, and the remembered browser once
	if got, want := app.DB.RoundTrips()-before, int64(9); got != want {
		t.Errorf("a sign-in on a remembered browser sent %d statements, want %d", got, want)
	}
}
