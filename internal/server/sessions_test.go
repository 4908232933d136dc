package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

var revokeForm = regexp.MustCompile(`action="/profile/sessions/(\d+)/revoke"`)

func TestSessionsListAndRevoke(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	servertest.AddMember(t, db, org, "bob@acme.test", "Bob Reis")
	laptop, phone, bob := env.Client(), env.Client(), env.Client()
	phone.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	laptop.SignIn("Acme", "ana@acme.test")
	env.Clock.Advance(3 * time.Minute)
	phone.SignIn("Acme", "ana@acme.test")
	bob.SignIn("Acme", "bob@acme.test")

	page := laptop.Get("/profile/sessions")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("sessions page: %d", page.StatusCode)
	}
	for _, want := range []string{"Where you&#39;re signed in", "Firefox on Linux", "Safari on iPhone", "127.0.0.1",
		"This browser", "21 Nov 2026 10:00 UTC", "21 Nov 2026 10:03 UTC", "Sign out everywhere"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	ids := revokeForm.FindAllStringSubmatch(page.Body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d sessions listed, want ana's two (not bob's)", len(ids))
	}
	// The most recently used (the phone) is listed first.
	phoneID := ids[0][1]
	if strings.Index(page.Body, "Safari on iPhone") > strings.Index(page.Body, "Firefox on Linux") {
		t.Error("sessions are not listed most recent first")
	}
	if r := phone.Get("/dashboard"); r.StatusCode != http.StatusOK {
		t.Fatalf("phone before the revoke: %d", r.StatusCode)
	}
	r := laptop.Post("/profile/sessions/"+phoneID+"/revoke", url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/profile/sessions" {
		t.Fatalf("revoke: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	// The revoked cookie is worthless on its very next request.
	if r := phone.Get("/dashboard"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("revoked phone: %d %s, want sent to sign in", r.StatusCode, r.Header.Get("Location"))
	}
	if r := laptop.Get("/profile/sessions"); !strings.Contains(r.Body, "That browser is signed out") ||
		len(revokeForm.FindAllString(r.Body, -1)) != 1 {
		t.Errorf("after the revoke the page should confirm it and list one session")
	}
	// Someone else's session, or none at all: the same 404, nothing ended.
	bobSessions, _ := db.MemberSessions(context.Background(), org.ID, memberID(t, db, org, "bob@acme.test"))
	for _, id := range []string{itoa(bobSessions[0].ID), "999999", "abc"} {
		if r := laptop.Post("/profile/sessions/"+id+"/revoke", url.Values{}); r.StatusCode != http.StatusNotFound {
			t.Errorf("revoke %s: %d, want 404", id, r.StatusCode)
		}
	}
	if r := bob.Get("/dashboard"); r.StatusCode != http.StatusOK {
		t.Errorf("bob was signed out by ana: %d", r.StatusCode)
	}
}

func TestRevokingThisBrowserSignsItOut(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	c := env.Client()
	c.SignIn("Acme", "ana@acme.test")
	id := revokeForm.FindStringSubmatch(c.Get("/profile/sessions").Body)[1]
	if r := c.Post("/profile/sessions/"+id+"/revoke", url.Values{}); r.Header.Get("Location") != "/login" {
		t.Errorf("revoking this browser: sent to %q, want /login", r.Header.Get("Location"))
	}
	if r := c.Get("/dashboard"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("still signed in: %d", r.StatusCode)
	}
}

// TestSignOutEverywhereAsksForThePasswordWhenStale covers the
// re-authentication prompt: fresh sessions go straight through, stale ones
// confirm the password first, and the confirmation renews the session.
func TestSignOutEverywhereAsksForThePasswordWhenStale(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	laptop, phone := env.Client(), env.Client()
	laptop.SignIn("Acme", "ana@acme.test")
	phone.SignIn("Acme", "ana@acme.test")

	env.Clock.Advance(10*time.Minute + time.Second)
	r := laptop.Post("/logout-everywhere", url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/reauthenticate?return_to=%2Fprofile%2Fsessions" {
		t.Fatalf("stale sign out everywhere: %d %s, want sent to confirm the password", r.StatusCode, r.Header.Get("Location"))
	}
	if r := phone.Get("/dashboard"); r.StatusCode != http.StatusOK {
		t.Fatal("sessions ended before the password was confirmed")
	}
	prompt := laptop.Get(r.Header.Get("Location"))
	if !strings.Contains(prompt.Body, "Confirm it&#39;s you") || !strings.Contains(prompt.Body, `name="return_to" value="/profile/sessions"`) {
		t.Fatalf("prompt page:\n%s", prompt.Body)
	}
	if r := laptop.Post("/reauthenticate", url.Values{"password": {wrong}, "return_to": {"/profile/sessions"}}); r.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(r.Body, "That password is not right") {
		t.Errorf("wrong password: %d", r.StatusCode)
	}
	if l, err := db.SigninLockout(context.Background(), org.ID, "ana@acme.test"); err != nil || l.Failures != 1 {
		t.Errorf("a wrong password at the prompt must count towards the lockout: %+v, %v", l, err)
	}
	oldCookie := laptop.Cookie("ims_session")
	r = laptop.Post("/reauthenticate", url.Values{"password": {servertest.Password}, "return_to": {"//evil.example/"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard" {
		t.Fatalf("confirmed with an off-site return: %d %s, want /dashboard", r.StatusCode, r.Header.Get("Location"))
	}
	if laptop.Cookie("ims_session") == oldCookie {
		t.Error("the session token did not change with re-authentication")
	}
	replay := env.Client()
	replay.SetCookie("ims_session", oldCookie)
	if r := replay.Get("/dashboard"); r.StatusCode != http.StatusSeeOther {
		t.Error("the token from before re-authentication still works")
	}
	if r := laptop.Post("/logout-everywhere", url.Values{}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("fresh sign out everywhere: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	for name, c := range map[string]*servertest.Client{"laptop": laptop, "phone": phone} {
		if r := c.Get("/dashboard"); r.StatusCode != http.StatusSeeOther {
			t.Errorf("%s still signed in after sign out everywhere", name)
		}
	}
}

// TestLastSeenIsWrittenAtMostOnceAMinute keeps session checks reads.
func TestLastSeenIsWrittenAtMostOnceAMinute(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", nil)
	ana := servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	c := env.Client()
	c.SignIn("Acme", "ana@acme.test")
	start := env.Clock.Now()
	lastSeen := func() time.Time {
		list, err := db.MemberSessions(context.Background(), org.ID, ana.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("sessions: %v, %v", list, err)
		}
		return list[0].LastSeenAt
	}
	env.Clock.Advance(59 * time.Second)
	c.Get("/dashboard")
	if got := lastSeen(); !got.Equal(start) {
		t.Errorf("last seen written after 59 s: %v", got)
	}
	env.Clock.Advance(time.Second)
	c.Get("/dashboard")
	if got := lastSeen(); !got.Equal(start.Add(time.Minute)) {
		t.Errorf("last seen after a minute: %v, want %v", got, start.Add(time.Minute))
	}
}

func memberID(t *testing.T, db store.Store, org store.Organisation, email string) int64 {
	t.Helper()
	m, err := db.MemberByEmail(context.Background(), org.ID, email)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
