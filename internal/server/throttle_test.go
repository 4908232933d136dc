package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestBurstFromOneAddressIsThrottledBeforeHashing: past the burst, attempts
// get 429 with Retry-After and never reach the password hasher.
func TestBurstFromOneAddressIsThrottledBeforeHashing(t *testing.T) {
	db := sqltest.NewSQLite(t)
	cfg := servertest.Config()
	cfg.ThrottleAddressPerMinute, cfg.ThrottleAddressBurst = 6, 3 // a token every 10 s
	env := servertest.Start(t, db, cfg, nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	c := env.Client()
	before := env.Server.Hasher.Computed()
	for i := range 3 {
		if r := signInAs(c, "Acme", "bob@acme.test", wrong); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d within the burst: %d", i+1, r.StatusCode)
		}
	}
	for i := range 5 {
		// Even the right password: the throttle comes before anything else.
		r := signInAs(c, "Acme", "ana@acme.test", servertest.Password)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.StatusCode != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 10 {
			t.Fatalf("attempt %d past the burst: %d, Retry-After %q; want 429 and 1 to 10 s", i+4, r.StatusCode, r.Header.Get("Retry-After"))
		}
		if !strings.Contains(r.Body, "Too many sign-in attempts") {
			t.Errorf("429 page does not say why:\n%s", r.Body)
		}
	}
	if n := env.Server.Hasher.Computed() - before; n != 3 {
		t.Errorf("the hasher ran %d times, want 3: throttled attempts must not reach it", n)
	}
	// Retry-After is honest: after waiting it, one attempt passes.
	env.Clock.Advance(10e9)
	c.SignIn("Acme", "ana@acme.test")
}

// TestThrottleUsesTheTrustedProxyHeader: behind a proxy every request
// comes from the proxy's address, so the configured header tells clients
// apart, and a client cannot escape its bucket by sending the header.
func TestThrottleUsesTheTrustedProxyHeader(t *testing.T) {
	db := sqltest.NewSQLite(t)
	cfg := servertest.Config()
	cfg.ThrottleAddressPerMinute, cfg.ThrottleAddressBurst = 1, 2
	cfg.TrustedProxyHeader = "X-Forwarded-For"
	env := servertest.Start(t, db, cfg, nil)
	servertest.NewOrganisation(t, db, "Acme", nil)
	statuses := func(forwardedFor ...string) []int {
		var got []int
		for _, ff := range forwardedFor {
			c := env.Client()
			c.Header.Set("X-Forwarded-For", ff)
			got = append(got, signInAs(c, "Acme", "x@acme.test", wrong).StatusCode)
		}
		return got
	}
	// The client claims a new address each time; the proxy appends the real one.
	got := statuses("10.0.0.1, 203.0.113.5", "10.0.0.2, 203.0.113.5", "10.0.0.3, 203.0.113.5", "198.51.100.7")
	want := []int{401, 401, 429, 401}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statuses %v, want %v", got, want)
			break
		}
	}
}

func TestOrganisationThrottleLimitsManyAddresses(t *testing.T) {
	db := sqltest.NewSQLite(t)
	cfg := servertest.Config()
	cfg.ThrottleOrganisationPerMinute, cfg.ThrottleOrganisationBurst = 1, 3
	cfg.TrustedProxyHeader = "X-Real-IP"
	env := servertest.Start(t, db, cfg, nil)
	servertest.NewOrganisation(t, db, "Acme", nil)
	var got []int
	for i := range 5 {
		c := env.Client()
		c.Header.Set("X-Real-IP", "203.0.113."+strconv.Itoa(i+1))
		got = append(got, signInAs(c, "Acme", "x"+strconv.Itoa(i)+"@acme.test", wrong).StatusCode)
	}
	if got[2] != 401 || got[3] != 429 || got[4] != 429 {
		t.Errorf("spraying one organisation from five addresses: %v, want the 4th and 5th throttled", got)
	}
	c := env.Client()
	c.Header.Set("X-Real-IP", "203.0.113.99")
	if r := signInAs(c, "Other", "x@other.test", wrong); r.StatusCode != 401 {
		t.Errorf("another organisation name is throttled too: %d", r.StatusCode)
	}
}
