package server_test

import (
	"net/url"
	"testing"

	"imslogin/internal/server/servertest"
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
	// organisation, member, lock check; the MFA policy with the member's
	// factors, read once for both the phone and mfa steps; then the session,
	// the sign-in time and the audit entry written in one transaction
	// (begin, three, commit)
	if got, want := app.DB.RoundTrips()-before, int64(9); got != want {
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
