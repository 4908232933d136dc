package emailverify_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/emailverify"
	"imslogin/internal/otpcode"
	"imslogin/internal/signin"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
	"imslogin/web"
)

// stepFixture is the email step over a real database, with no HTTP server:
// a flow at the step whose first code was sent.
type stepFixture struct {
	db   *sqlstore.DB
	step *emailverify.Step
	flow *signin.Flow
	now  time.Time
	code string // the code in the newest email
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

func newStepFixture(t *testing.T) *stepFixture {
	t.Helper()
	ctx := context.Background()
	db := sqltest.NewSQLite(t)
	f := &stepFixture{db: db, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	org := storetest.NewOrganisation(t, db, "Acme")
	m := storetest.NewMember(t, db, org.ID, "bo@acme.test")
	f.step = &emailverify.Step{Store: db, Codes: &otpcode.Issuer{Key: []byte("test key"), Now: func() time.Time { return f.now }}}
	f.flow = &signin.Flow{SigninFlow: store.SigninFlow{OrgID: org.ID, MemberID: m.ID, Step: "verify-email"},
		Organisation: org, Member: m}
	if err := f.step.Enter(ctx, f.flow); err != nil {
		t.Fatal(err)
	}
	f.code = f.newestCode(t)
	return f
}

func (f *stepFixture) newestCode(t *testing.T) string {
	t.Helper()
	msgs, err := f.db.OrganisationMail(context.Background(), f.flow.OrgID, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no code emailed: %v", err)
	}
	return sixDigits.FindString(msgs[0].Subject)
}

func (f *stepFixture) submit(t *testing.T, form url.Values) signin.Outcome {
	t.Helper()
	out, err := f.step.Submit(context.Background(), f.flow, signin.Input{Form: form, Now: f.now,
		Origin: audit.Origin{Address: "192.0.2.1", UserAgent: "test"}})
	if err != nil {
		t.Fatalf("submit %v: %v", form, err)
	}
	return out
}

func notice(out signin.Outcome) string {
	if p, ok := out.Page().(web.VerifyEmailPage); ok {
		return p.Notice.Text
	}
	return ""
}

// TestEmailStepOutcomes: each answer at the "Verify your email" step, and
// what the step decides, without an HTTP server.
func TestEmailStepOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		form   func(f *stepFixture) url.Values
		before func(f *stepFixture)
		kind   signin.OutcomeKind
		status int
		text   string // in the page's notice
		guess  bool   // an attempt is reserved before the check
	}{
		{name: "the right code", form: func(f *stepFixture) url.Values { return url.Values{"code": {f.code}} },
			kind: signin.KindPassed, guess: true},
		{name: "a wrong code", form: func(f *stepFixture) url.Values { return url.Values{"code": {wrongCode(f.code)}} },
			kind: signin.KindWrong, status: http.StatusUnprocessableEntity, text: "That code is not right", guess: true},
		{name: "a malformed code", form: func(*stepFixture) url.Values { return url.Values{"code": {"12ab"}} },
			kind: signin.KindShow, status: http.StatusUnprocessableEntity, text: "Enter the 6-digit code", guess: true},
		{name: "an expired code", form: func(f *stepFixture) url.Values { return url.Values{"code": {f.code}} },
			before: func(f *stepFixture) { f.now = f.now.Add(11 * time.Minute) },
			kind:   signin.KindShow, status: http.StatusUnprocessableEntity, text: "expired", guess: true},
		{name: "resend at once", form: func(*stepFixture) url.Values { return url.Values{"action": {"resend"}} },
			kind: signin.KindShow, status: http.StatusTooManyRequests, text: "moments ago"},
		{name: "resend a minute later", form: func(*stepFixture) url.Values { return url.Values{"action": {"resend"}} },
			before: func(f *stepFixture) { f.now = f.now.Add(time.Minute) }, kind: signin.KindAgain},
		{name: "skip for now", form: func(*stepFixture) url.Values { return url.Values{"action": {"skip"}} },
			kind: signin.KindPassed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newStepFixture(t)
			if tc.before != nil {
				tc.before(f)
			}
			form := tc.form(f)
			if got := f.step.Guess(signin.Input{Form: form}); got != tc.guess {
				t.Errorf("Guess: %v, want %v", got, tc.guess)
			}
			out := f.submit(t, form)
			if out.Kind() != tc.kind || out.Status() != tc.status || !strings.Contains(notice(out), tc.text) {
				t.Errorf("got %v %d %q, want %v %d with %q", out.Kind(), out.Status(), notice(out), tc.kind, tc.status, tc.text)
			}
		})
	}
}

// TestEmailStepVerifies: the right code marks the address verified and
// audits it; a resent code replaces the first.
func TestEmailStepVerifies(t *testing.T) {
	f := newStepFixture(t)
	first := f.code
	f.now = f.now.Add(time.Minute)
	if out := f.submit(t, url.Values{"action": {"resend"}}); out.Kind() != signin.KindAgain || out.Flash() != "code-resent" {
		t.Fatalf("resend: %v %q", out.Kind(), out.Flash())
	}
	second := f.newestCode(t)
	if first != second {
		if out := f.submit(t, url.Values{"code": {first}}); out.Kind() != signin.KindWrong {
			t.Errorf("the first code after a resend: %v, want wrong", out.Kind())
		}
	}
	if out := f.submit(t, url.Values{"code": {second}}); out.Kind() != signin.KindPassed {
		t.Fatalf("the newest code: %v", out.Kind())
	}
	m, err := f.db.MemberByID(context.Background(), f.flow.OrgID, f.flow.MemberID)
	if err != nil || !m.EmailVerified {
		t.Errorf("member after the code: %+v, %v; want verified", m, err)
	}
	events, _ := f.db.AuditEvents(context.Background(), f.flow.OrgID, store.AuditFilter{Kind: audit.EmailVerify})
	if len(events) != 1 || events[0].Address != "192.0.2.1" {
		t.Errorf("audit: %+v, want one entry from the request's address", events)
	}
}
