package mail_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"imslogin/internal/mail"
)

// FuzzParseSMTPURL: any IMS_SMTP_URL is parsed without panicking; one
// accepted names a host and a valid port, asks for plain SMTP only on
// smtp://, is warned about whenever mail or a password would cross the
// network unencrypted or TLS goes unchecked, and makes a client.
func FuzzParseSMTPURL(f *testing.F) {
	for _, s := range []string{"smtp://user:pass@mail.example.org:587", "smtps://mail.example.org", "smtp://127.0.0.1:25?tls=none",
		"smtp://u:p@relay.example.org?tls=none", "smtps://mail.example.org?tls=none", "smtp://mail.example.org?tls=skip-verify",
		"smtp://[::1]?tls=none", "smtp://localhost.?tls=none", "smtp://h:0", "smtp://h:99999", "smtp://:25", "smtp://h/path",
		"smtp://h?tls=none&tls=skip-verify", "smtp://h?TLS=none", "smtp://127.0.0.1.nip.io?tls=none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := mail.ParseSMTPURL(raw)
		if err != nil {
			return
		}
		if (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			t.Fatalf("%q accepted: scheme %q, host %q", raw, u.Scheme, u.Hostname())
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("%q accepted with port %q", raw, p)
			}
		}
		mode := u.Query().Get("tls")
		if mode == "none" && u.Scheme != "smtp" {
			t.Fatalf("%q accepted: plain SMTP on %s", raw, u.Scheme)
		}
		host := u.Hostname()
		ip := net.ParseIP(host)
		here := strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())
		if warned := len(mail.Warnings(raw)) > 0; (mode == "none" && !here || mode == "skip-verify") && !warned {
			t.Fatalf("%q accepted without a warning", raw)
		}
		if _, err := mail.NewSMTP(raw, "IMS Login <login@example.org>"); err != nil {
			t.Fatalf("%q accepted, but no client: %v", raw, err)
		}
	})
}
