package recovery_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

func (e *env) auditKinds() []string {
	e.t.Helper()
	events, err := e.db.AuditEvents(context.Background(), e.org.ID, store.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var kinds []string
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if ev.Kind != audit.MemberAdd && (ev.Address == "" || ev.UserAgent == "") {
			e.t.Errorf("%s entry lacks the address or user agent: %+v", ev.Kind, ev)
		}
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

// TestLockoutEmailAndResetLiftsTheLock: the lockout email reaches the
// member through the outbox and SMTP, and a reset from the emailed link
// lifts the lock, as that email says.
func TestLockoutEmailAndResetLiftsTheLock(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for range 5 {
		b.signIn("not the password at all")
	}
	if p := b.signIn(oldPassword); p.status != http.StatusLocked {
		t.Fatalf("right password during the lock: %d, want 423", p.status)
	}
	msgs := e.deliver(memberEmail)
	if len(msgs) != 1 || msgs[0].Subject != "Your IMS Login account for Acme Research is locked" ||
		!strings.Contains(msgs[0].Text, "after 5") || !strings.Contains(msgs[0].HTML, "unlocks by itself") {
		t.Fatalf("lockout email: %+v", msgs)
	}
	b.post("/forgot-password", url.Values{"organisation": {orgName}, "email": {memberEmail}})
	link := e.linkIn(e.deliver(memberEmail)[1])
	if p := b.setPassword(link, newPassword, newPassword); p.status != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", p.status, p.body)
	}
	if p := e.browser().signIn(newPassword); p.status != http.StatusSeeOther {
		t.Errorf("sign in after the reset: %d, want the lock lifted", p.status)
	}
	got := strings.Join(e.auditKinds(), " ")
	want := "member-add signin-failure signin-failure signin-failure signin-failure signin-failure lockout signin-failure " +
		"password-reset signin-success"
	if got != want {
		t.Errorf("audit log:\n got %s\nwant %s", got, want)
	}
}

// TestChangePasswordCountsWrongCurrentPasswords: a stolen session cannot
// guess the current password on the change form without locking the
// account, and a change is audited.
func TestChangePasswordCountsWrongCurrentPasswords(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(oldPassword)
	change := func(current string) page {
		return b.post("/profile/password", url.Values{"current_password": {current}, "password": {newPassword},
			"password_confirm": {newPassword}})
	}
	for i := 1; i <= 4; i++ {
		if p := change("a wrong guess number " + string(rune('0'+i))); p.status != http.StatusBadRequest {
			t.Fatalf("wrong current password %d: %d", i, p.status)
		}
	}
	if p := change("a wrong guess number 5"); p.status != http.StatusLocked || !strings.Contains(p.body, "Account locked") {
		t.Fatalf("fifth wrong current password: %d, want 423 Account locked", p.status)
	}
	if p := change(oldPassword); p.status != http.StatusLocked {
		t.Errorf("the right current password during the lock: %d, want 423", p.status)
	}
	if msgs := e.deliver(memberEmail); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "is locked") {
		t.Errorf("lockout email: %+v", msgs)
	}
	events, _ := e.db.AuditEvents(context.Background(), e.org.ID, store.AuditFilter{Kind: audit.SigninFailure})
	if len(events) != 5 || events[0].Detail != "change password: wrong current password" {
		t.Errorf("failures in the audit log: %+v", events)
	}
}

func TestChangeAndInvitationAreAudited(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn(oldPassword)
	if p := b.post("/profile/password", url.Values{"current_password": {oldPassword}, "password": {newPassword},
		"password_confirm": {newPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", p.status, p.body)
	}
	e.addMember("new@acme.test", "")
	link := e.linkIn(e.deliver("new@acme.test")[0])
	e.browser().setPassword(link, "another long password 123", "another long password 123")
	got := strings.Join(e.auditKinds(), " ")
	// accepting the invitation signs the member in, through the sign-in's steps
	want := "member-add signin-success password-change member-add invitation-accept signin-success"
	if got != want {
		t.Errorf("audit log:\n got %s\nwant %s", got, want)
	}
}
