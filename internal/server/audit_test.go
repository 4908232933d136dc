package server_test

import (
	"context"
	"net/url"
	"regexp"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestAuditEntriesForEveryEvent walks through the events a member causes
// and checks each entry names who, when, where from and with what browser.
func TestAuditEntriesForEveryEvent(t *testing.T) {
	db := sqltest.NewSQLite(t)
	env := servertest.Start(t, db, servertest.Config(), nil)
	org := servertest.NewOrganisation(t, db, "Acme", func(s *store.OrganisationSettings) { s.LockoutThreshold = 3 })
	ana := servertest.AddMember(t, db, org, "ana@acme.test", "Ana Lima")
	servertest.AddMember(t, db, org, "bob@acme.test", "Bob Reis")
	c, other := env.Client(), env.Client()
	signInAs(c, "Acme", "nobody@acme.test", wrong)
	for range 4 { // the third locks, the fourth is refused while locked
		signInAs(c, "Acme", "bob@acme.test", wrong)
	}
	c.SignIn("Acme", "ana@acme.test")
	other.SignIn("Acme", "ana@acme.test")
	id := revokeForm.FindAllStringSubmatch(c.Get("/profile/sessions").Body, -1)[0][1]
	c.Post("/profile/sessions/"+id+"/revoke", url.Values{})
	env.Clock.Advance(11 * time.Minute)
	c.Post("/reauthenticate", url.Values{"password": {servertest.Password}})
	c.Post("/logout-everywhere", url.Values{})
	c.SignIn("Acme", "ana@acme.test")
	c.Post("/logout", url.Values{})

	events, err := db.AuditEvents(context.Background(), org.ID, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ kind, email, detail string }
	wants := []want{ // oldest first
		{audit.MemberAdd, "ana@acme.test", "role member, status active"},
		{audit.MemberAdd, "bob@acme.test", "role member, status active"},
		{audit.SigninFailure, "nobody@acme.test", "not a member"},
		{audit.SigninFailure, "bob@acme.test", "wrong password"},
		{audit.SigninFailure, "bob@acme.test", "wrong password"},
		{audit.SigninFailure, "bob@acme.test", "wrong password"},
		{audit.Lockout, "bob@acme.test", `^3 failed attempts; locked until 2026-11-21T10:15:00Z$`},
		{audit.SigninFailure, "bob@acme.test", "account locked"},
		{audit.SigninSuccess, "ana@acme.test", ""},
		{audit.SigninSuccess, "ana@acme.test", ""},
		{audit.SessionRevoke, "ana@acme.test", `^session \d+$`},
		{audit.Reauthenticate, "ana@acme.test", ""},
		{audit.SignoutEverywhere, "ana@acme.test", ""},
		{audit.SigninSuccess, "ana@acme.test", ""},
		{audit.Signout, "ana@acme.test", ""},
	}
	if len(events) != len(wants) {
		for _, e := range events {
			t.Logf("%s %s %q", e.Kind, e.Email, e.Detail)
		}
		t.Fatalf("%d entries, want %d", len(events), len(wants))
	}
	for i, w := range wants {
		e := events[len(events)-1-i]
		if e.Kind != w.kind || e.Email != w.email || !regexp.MustCompile(w.detail).MatchString(e.Detail) || e.At.IsZero() {
			t.Errorf("entry %d: got %s %s %q at %v, want %s %s %q", i+1, e.Kind, e.Email, e.Detail, e.At, w.kind, w.email, w.detail)
		}
		if e.Kind == audit.MemberAdd {
			if e.Actor != audit.ActorCommandLine || e.MemberID == 0 {
				t.Errorf("entry %d: actor %q, member %d", i+1, e.Actor, e.MemberID)
			}
			continue
		}
		if e.Address != "127.0.0.1" || e.UserAgent != c.UserAgent {
			t.Errorf("entry %d (%s): address %q, user agent %q", i+1, e.Kind, e.Address, e.UserAgent)
		}
		if e.Email == ana.Email && (e.MemberID != ana.ID || e.Actor != ana.Email) {
			t.Errorf("entry %d (%s): member %d, actor %q; want ana as both", i+1, e.Kind, e.MemberID, e.Actor)
		}
		if e.Kind == audit.SigninFailure && e.Actor != "" {
			t.Errorf("entry %d: a failed sign-in names actor %q, but nobody proved who they are", i+1, e.Actor)
		}
	}
}
