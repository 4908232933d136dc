package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"imslogin/internal/store"
)

// SMTP sends through a mail server given as smtp://user:pass@host:port
// (STARTTLS required, port 587 by default) or smtps://… (implicit TLS,
// port 465 by default). A local relay is reached with smtp://host?tls=none
// (plain SMTP, port 25 by default), and ?tls=skip-verify keeps TLS without
// checking the server's certificate; see Warnings.
type SMTP struct {
	client *gomail.Client
	from   *netmail.Address
	domain string // for Message-IDs
}

// SMTPOption adjusts the client, for example to trust a private CA.
type SMTPOption = gomail.Option

// WithTLSConfig sets the TLS configuration (server name, trusted roots).
func WithTLSConfig(c *tls.Config) SMTPOption { return gomail.WithTLSConfig(c) }

// NewSMTP checks the URL and sender address; it does not connect.
func NewSMTP(rawURL, from string, opts ...SMTPOption) (*SMTP, error) {
	u, err := ParseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	sender, err := ParseFrom(from)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(u.Port())
	mode := u.Query().Get("tls")
	options := []gomail.Option{gomail.WithTimeout(20 * time.Second), gomail.WithTLSConfig(&tls.Config{
		ServerName: u.Hostname(), MinVersion: tls.VersionTLS12, InsecureSkipVerify: mode == TLSSkipVerify})}
	switch {
	case u.Scheme == "smtps":
		options = append(options, gomail.WithSSL(), gomail.WithPort(cmp(port, 465)))
	case mode == TLSNone:
		options = append(options, gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithPort(cmp(port, 25)))
	default:
		options = append(options, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithPort(cmp(port, 587)))
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		options = append(options, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	client, err := gomail.NewClient(u.Hostname(), append(options, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("smtp-url: %w", err)
	}
	_, domain, _ := strings.Cut(sender.Address, "@")
	return &SMTP{client: client, from: sender, domain: domain}, nil
}

func cmp(port, fallback int) int {
	if port == 0 {
		return fallback
	}
	return port
}

// The TLS modes of an SMTP URL's ?tls= parameter besides the default
// (STARTTLS required for smtp://, implicit TLS for smtps://).
const (
	TLSNone       = "none"        // plain SMTP, for a relay on the same host or network
	TLSSkipVerify = "skip-verify" // TLS without checking the certificate
)

// ParseSMTPURL accepts smtp:// and smtps:// URLs with a host, and at most
// a tls parameter: none (smtp:// only) or skip-verify.
func ParseSMTPURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("smtp-url: want smtp://[user:pass@]host[:port] (STARTTLS) or smtps://… (TLS)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("smtp-url: port %q is not a port number", p)
		}
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return nil, fmt.Errorf("smtp-url: unknown parameter %q: only tls=none or tls=skip-verify", k)
		}
	}
	switch mode := q.Get("tls"); {
	case q.Has("tls") && mode != TLSNone && mode != TLSSkipVerify:
		return nil, fmt.Errorf("smtp-url: tls=%q: want tls=none (plain SMTP to a local relay) or tls=skip-verify", mode)
	case mode == TLSNone && u.Scheme == "smtps":
		return nil, errors.New("smtp-url: smtps:// always uses TLS: use smtp://…?tls=none for plain SMTP")
	}
	return u, nil
}

// Warnings are what an operator should hear about an SMTP URL's security:
// plain SMTP to a host that is not a loopback address (mail and any
// password cross the network readable), and TLS without certificate
// checks. The URL must have passed ParseSMTPURL.
func Warnings(rawURL string) []string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	switch u.Query().Get("tls") {
	case TLSNone:
		if !loopback(u.Hostname()) {
			return []string{fmt.Sprintf("smtp-url: tls=none sends mail to %s unencrypted over the network: "+
				"use it only for a relay on this host or a trusted network", u.Hostname())}
		}
	case TLSSkipVerify:
		return []string{fmt.Sprintf("smtp-url: tls=skip-verify does not check the certificate of %s: "+
			"anyone on the path can read the mail; trust its certificate instead", u.Hostname())}
	}
	return nil
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseFrom accepts a sender such as "IMS Login <login@example.org>".
func ParseFrom(from string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(from)
	if err != nil || !strings.Contains(a.Address, "@") {
		return nil, fmt.Errorf("mail-from %q: want an address such as \"IMS Login <login@example.org>\"", from)
	}
	return a, nil
}

// Send delivers msgs over one connection.
func (s *SMTP) Send(ctx context.Context, msgs []store.MailMessage, done func(i int, err error) error) error {
	out := make([]*gomail.Msg, len(msgs))
	ready := 0
	for i, m := range msgs {
		gm, err := s.compose(m)
		if err != nil {
			if err := done(i, err); err != nil {
				return err
			}
			continue
		}
		out[i] = gm
		ready++
	}
	if ready == 0 {
		return nil
	}
	client, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to the mail server: %w", err)
	}
	defer s.client.CloseWithSMTPClient(client)
	for i, gm := range out {
		if gm == nil {
			continue
		}
		s.client.SendWithSMTPClient(client, gm) // the error is kept on the message
		var failure error
		if gm.HasSendError() {
			failure = gm.SendError()
		}
		if err := done(i, failure); err != nil {
			return err
		}
	}
	return nil
}

func (s *SMTP) compose(m store.MailMessage) (*gomail.Msg, error) {
	gm := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	gm.FromMailAddress(s.from)
	if err := gm.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	gm.Subject(m.Subject)
	gm.SetMessageIDWithValue(m.MessageID + "@" + s.domain)
	gm.SetDateWithValue(m.CreatedAt)
	gm.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	gm.SetBodyString(gomail.TypeTextPlain, m.Text)
	gm.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return gm, nil
}
