package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
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
// port 465 by default).
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
	options := []gomail.Option{gomail.WithTimeout(20 * time.Second), gomail.WithTLSConfig(&tls.Config{
		ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})}
	if u.Scheme == "smtps" {
		options = append(options, gomail.WithSSL(), gomail.WithPort(cmp(port, 465)))
	} else {
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

// ParseSMTPURL accepts smtp:// and smtps:// URLs with a host.
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
	return u, nil
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
func (s *SMTP) Send(ctx context.Context, msgs []store.MailMessage) ([]error, error) {
	out := make([]*gomail.Msg, len(msgs))
	errs := make([]error, len(msgs))
	var ready []*gomail.Msg
	for i, m := range msgs {
		gm, err := s.compose(m)
		if err != nil {
			errs[i] = err
			continue
		}
		out[i] = gm
		ready = append(ready, gm)
	}
	if len(ready) == 0 {
		return errs, nil
	}
	client, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to the mail server: %w", err)
	}
	s.client.SendWithSMTPClient(client, ready...) // errors are kept on each message
	s.client.CloseWithSMTPClient(client)
	for i, gm := range out {
		if gm != nil && gm.HasSendError() {
			errs[i] = gm.SendError()
		}
	}
	return errs, nil
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
