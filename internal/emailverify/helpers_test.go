package emailverify_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"imslogin/internal/mail"
	"imslogin/internal/server/servertest"
	"imslogin/internal/store"
)

var codeInSubject = regexp.MustCompile(`verification code: (\d{6})$`)

// codes lists the codes emailed to address, newest first.
func codes(t *testing.T, app *servertest.App, to string) []string {
	t.Helper()
	msgs, err := app.DB.OrganisationMail(context.Background(), app.Org.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.Kind != mail.EmailCode || m.To != to {
			continue
		}
		match := codeInSubject.FindStringSubmatch(m.Subject)
		if match == nil || !strings.Contains(m.Text, match[1]) {
			t.Fatalf("code email without its code: %q", m.Subject)
		}
		out = append(out, match[1])
	}
	return out
}

// newestCode is the last code emailed to address.
func newestCode(t *testing.T, app *servertest.App, to string) string {
	t.Helper()
	list := codes(t, app, to)
	if len(list) == 0 {
		t.Fatalf("no code was emailed to %s", to)
	}
	return list[0]
}

// wrongCode is a well-formed code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// unverified adds a member whose email is not verified.
func unverified(t *testing.T, app *servertest.App, email string) store.Member {
	return app.AddMember(t, email, func(m *store.Member) { m.EmailVerified = false })
}

// startSignIn sends the password and expects the email step.
func startSignIn(t *testing.T, app *servertest.App, c *http.Client, email string) {
	t.Helper()
	resp, body := app.Post(t, c, "/login", url.Values{"organisation": {app.Org.Name}, "email": {email},
		"password": {servertest.Password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login/verify-email" {
		t.Fatalf("after the password: %d %q, want the email step\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

func submitCode(t *testing.T, app *servertest.App, c *http.Client, code string) (*http.Response, string) {
	t.Helper()
	return app.Post(t, c, "/login/verify-email", url.Values{"action": {"verify"}, "code": {code}})
}

func member(t *testing.T, app *servertest.App, id int64) store.Member {
	t.Helper()
	m, err := app.DB.MemberByID(context.Background(), app.Org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// auditDetails lists the details of the organisation's entries of kind.
func auditDetails(t *testing.T, app *servertest.App, kind string) []string {
	t.Helper()
	list, err := app.DB.AuditEvents(context.Background(), app.Org.ID, store.AuditFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Detail)
	}
	return out
}
