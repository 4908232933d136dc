package server_test

import (
	"strings"
	"testing"

	"imslogin/internal/config"
	"imslogin/internal/mail"
	"imslogin/internal/password"
	"imslogin/internal/server"
	"imslogin/internal/sms"
)

// config checks plain values by the rules of the packages the server builds
// from them; these tests keep both sides in step, so a configuration that
// passes Validate never fails in New.

func TestConfigDefaultsAreThePasswordPackages(t *testing.T) {
	if got := server.PasswordParams(config.Default()); got != password.DefaultParams {
		t.Errorf("config's default argon2id cost %+v, password's %+v", got, password.DefaultParams)
	}
}

// refuses reports whether Validate names setting after edit.
func refuses(edit func(*config.Config), setting string) bool {
	cfg := config.Default()
	edit(&cfg)
	err := cfg.Validate()
	return err != nil && strings.Contains(err.Error(), setting)
}

func TestConfigAgreesOnArgon2(t *testing.T) {
	for _, p := range []password.Params{
		{MemoryKiB: 8 * 1024, Time: 1, Threads: 1}, {MemoryKiB: 8*1024 - 1, Time: 1, Threads: 1},
		{MemoryKiB: 1024 * 1024, Time: 20, Threads: 4}, {MemoryKiB: 1024*1024 + 1, Time: 2, Threads: 1},
		{MemoryKiB: 19 * 1024, Time: 0, Threads: 1}, {MemoryKiB: 19 * 1024, Time: 21, Threads: 1},
		{MemoryKiB: 19 * 1024, Time: 2, Threads: 0},
	} {
		refused := refuses(func(c *config.Config) {
			c.Argon2MemoryKiB, c.Argon2Time, c.Argon2Threads = p.MemoryKiB, p.Time, p.Threads
		}, "argon2")
		if want := p.Validate() != nil; refused != want {
			t.Errorf("%+v: config refuses %v, password %v", p, refused, want)
		}
	}
}

func TestConfigAgreesOnTheSMSURL(t *testing.T) {
	for _, u := range []string{"", "dev://", "dev:", "twilio://AC1:tok@default?from=%2B15550100",
		"twilio://AC1:tok@127.0.0.1:1?from=%2B15550100&insecure=true", "twilio://AC1@default?from=%2B15550100",
		"twilio://:tok@default?from=%2B15550100", "twilio://AC1:tok@default", "twilio://AC1:tok@default?from=15550100",
		"webhook+https://:secret@gw.example/send", "webhook+http://:secret@127.0.0.1/send", "webhook+https://gw.example/send",
		"webhook+http://:secret@gw.example/send", "webhook+http://:secret@localhost:8080/send", "webhook+http://:secret@[::1]/send",
		"webhook+http://:secret@10.0.0.1/send",
		"webhook+ftp://:secret@gw.example", "https://gw.example", "%zz://x", "sms://x",
	} {
		_, err := sms.FromURL(u)
		if refused := refuses(func(c *config.Config) { c.SMSURL = u }, "sms-url"); refused != (err != nil) {
			t.Errorf("%q: config refuses %v, sms.FromURL says %v", u, refused, err)
		}
	}
}

func TestConfigAgreesOnMail(t *testing.T) {
	for _, u := range []string{"smtp://mail.example", "smtps://u:p@mail.example:465", "smtp://mail.example:587/",
		"http://mail.example", "smtp://", "smtp://mail.example/path", "smtp://mail.example:0", "smtp://mail.example:70000",
		"smtp://mail.example:x", "%zz", "smtp://127.0.0.1?tls=none", "smtp://relay.example:25?tls=none",
		"smtp://mail.example?tls=skip-verify", "smtps://mail.example?tls=skip-verify", "smtps://mail.example?tls=none",
		"smtp://mail.example?tls=starttls", "smtp://mail.example?tls=", "smtp://mail.example?auth=login",
	} {
		_, err := mail.ParseSMTPURL(u)
		edit := func(c *config.Config) { c.SMTPURL, c.MailFrom = u, "IMS Login <login@example.org>" }
		if refused := refuses(edit, "smtp-url"); refused != (err != nil) {
			t.Errorf("%q: config refuses %v, mail.ParseSMTPURL says %v", u, refused, err)
		}
	}
	for _, from := range []string{"login@example.org", "IMS Login <login@example.org>", "no address here", "<>", "a@b, c@d"} {
		_, err := mail.ParseFrom(from)
		if refused := refuses(func(c *config.Config) { c.MailFrom = from }, "mail-from"); refused != (err != nil) {
			t.Errorf("%q: config refuses %v, mail.ParseFrom says %v", from, refused, err)
		}
	}
}
