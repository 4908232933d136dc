package mail_test

import (
	"context"
	"strings"
	"testing"

	"imslogin/internal/mail"
	"imslogin/internal/mail/mailtest"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// deliver queues one message and runs one round of the worker through a
// sender for rawURL (trusting nothing but the system's roots), and returns
// the round.
func deliver(t *testing.T, rawURL string) mail.Round {
	t.Helper()
	db := sqltest.NewSQLite(t)
	o := storetest.NewOrganisation(t, db, "Acme")
	clk := newClock()
	enqueue(t, db, o.ID, "ana@acme.test", clk.Now())
	sender, err := mail.NewSMTP(rawURL, "IMS Login <login@ims.example>")
	if err != nil {
		t.Fatal(err)
	}
	r, err := (&mail.Worker{Store: db, Sender: sender, Now: clk.Now}).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPlainSMTPOnlyWhenAsked: a local relay that offers no STARTTLS gets
// mail with ?tls=none, and none without it (STARTTLS stays mandatory).
func TestPlainSMTPOnlyWhenAsked(t *testing.T) {
	relay := mailtest.StartWith(t, mailtest.Options{Relay: true})
	if r := deliver(t, "smtp://"+relay.Addr); r.Sent != 0 || len(relay.Messages()) != 0 {
		t.Fatalf("default mode sent %+v in plain text to a server without STARTTLS", r)
	}
	if r := deliver(t, relay.URL); r.Sent != 1 || len(relay.To("ana@acme.test")) != 1 {
		t.Fatalf("tls=none: round %+v, %d received; want the message delivered", r, len(relay.Messages()))
	}
}

// TestSkipVerifyOnlyWhenAsked: a server whose certificate nobody vouches
// for is refused by default and used with ?tls=skip-verify.
func TestSkipVerifyOnlyWhenAsked(t *testing.T) {
	srv := mailtest.Start(t) // its certificate is made for the test
	if r := deliver(t, srv.URL); r.Sent != 0 || len(srv.Messages()) != 0 {
		t.Fatalf("default mode sent %+v to a server with an unknown certificate", r)
	}
	if r := deliver(t, srv.URL+"?tls=skip-verify"); r.Sent != 1 || len(srv.To("ana@acme.test")) != 1 {
		t.Fatalf("tls=skip-verify: round %+v, %d received", r, len(srv.Messages()))
	}
}

// TestSMTPURLWarnings: plain SMTP beyond this host and unchecked
// certificates are warned about; the defaults and a loopback relay are not.
func TestSMTPURLWarnings(t *testing.T) {
	for u, want := range map[string]string{
		"smtp://u:p@mail.example:587":          "",
		"smtps://mail.example":                 "",
		"smtp://127.0.0.1?tls=none":            "",
		"smtp://localhost:1025?tls=none":       "",
		"smtp://[::1]?tls=none":                "",
		"smtp://relay.example?tls=none":        "unencrypted",
		"smtp://10.0.0.5:25?tls=none":          "unencrypted",
		"smtp://mail.example?tls=skip-verify":  "does not check the certificate",
		"smtps://mail.example?tls=skip-verify": "does not check the certificate",
	} {
		if _, err := mail.ParseSMTPURL(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
		got := strings.Join(mail.Warnings(u), " ")
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: warnings %q, want %q", u, got, want)
		}
	}
	for _, u := range []string{"smtps://mail.example?tls=none", "smtp://mail.example?tls=off", "smtp://mail.example?starttls=no"} {
		if _, err := mail.ParseSMTPURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}
