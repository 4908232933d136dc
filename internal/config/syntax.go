package config

// The checks here read settings that other packages turn into their types
// (password.Params, mail.NewSMTP, sms.FromURL). They repeat those packages'
// rules on the plain values so that config imports none of them; a test in
// internal/server proves both sides accept and refuse the same values.

import (
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
)

// validateArgon2 reports an argon2id cost too weak or too costly to run.
func (c Config) validateArgon2() []error {
	var errs []error
	if c.Argon2MemoryKiB < 8*1024 || c.Argon2MemoryKiB > 1024*1024 {
		errs = append(errs, fmt.Errorf("argon2 memory %d KiB: want 8192 to 1048576", c.Argon2MemoryKiB))
	}
	if c.Argon2Time < 1 || c.Argon2Time > 20 {
		errs = append(errs, fmt.Errorf("argon2 time %d: want 1 to 20", c.Argon2Time))
	}
	if c.Argon2Threads < 1 {
		errs = append(errs, fmt.Errorf("argon2 threads %d: want at least 1", c.Argon2Threads))
	}
	return errs
}

// checkSMSURL accepts what sms.FromURL accepts: empty or dev:// (the
// development outbox), twilio:// with credentials and a sender, or
// webhook+https:// with a signing secret.
func checkSMSURL(raw string) error {
	if raw == "" || raw == "dev://" || raw == "dev:" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("IMS_SMS_URL: %w", err)
	}
	secret, _ := u.User.Password()
	switch {
	case u.Scheme == "twilio":
		var errs []error
		if u.User.Username() == "" || secret == "" {
			errs = append(errs, errors.New("IMS_SMS_URL: twilio:// needs ACCOUNT_SID:AUTH_TOKEN@"))
		}
		if !strings.HasPrefix(u.Query().Get("from"), "+") {
			errs = append(errs, errors.New("IMS_SMS_URL: twilio:// needs ?from= with an E.164 number (%2B15550100)"))
		}
		return errors.Join(errs...)
	case strings.HasPrefix(u.Scheme, "webhook+"):
		if secret == "" {
			return errors.New("IMS_SMS_URL: webhook+https:// needs a signing secret as :SECRET@")
		}
		if s := strings.TrimPrefix(u.Scheme, "webhook+"); s != "https" && !(s == "http" && loopback(u.Hostname())) {
			return fmt.Errorf("IMS_SMS_URL: webhook+%s://%s: want webhook+https:// (plain http only to this machine)", s, u.Host)
		}
		return nil
	}
	return fmt.Errorf("IMS_SMS_URL: unknown scheme %q: want twilio://, webhook+https:// or dev://", u.Scheme)
}

// checkSMTPURL accepts what mail.ParseSMTPURL accepts: smtp:// or smtps://
// with a host, at most a port, and at most ?tls=none (smtp:// only) or
// ?tls=skip-verify.
func checkSMTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return errors.New("smtp-url: want smtp://[user:pass@]host[:port] (STARTTLS) or smtps://… (TLS)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("smtp-url: port %q is not a port number", p)
		}
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return fmt.Errorf("smtp-url: unknown parameter %q: only tls=none or tls=skip-verify", k)
		}
	}
	switch mode := q.Get("tls"); {
	case q.Has("tls") && mode != "none" && mode != "skip-verify":
		return fmt.Errorf("smtp-url: tls=%q: want tls=none (plain SMTP to a local relay) or tls=skip-verify", mode)
	case mode == "none" && u.Scheme == "smtps":
		return errors.New("smtp-url: smtps:// always uses TLS: use smtp://…?tls=none for plain SMTP")
	}
	return nil
}

// checkMailFrom accepts what mail.ParseFrom accepts: one address, with or
// without a display name.
func checkMailFrom(from string) error {
	a, err := netmail.ParseAddress(from)
	if err != nil || !strings.Contains(a.Address, "@") {
		return fmt.Errorf("mail-from %q: want an address such as \"IMS Login <login@example.org>\"", from)
	}
	return nil
}

// loopback reports whether host names this machine (as sms.Loopback).
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
