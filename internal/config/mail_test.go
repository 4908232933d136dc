package config

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestMailSettingsFromEnvironment(t *testing.T) {
	cfg := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.BindFlags(fs)
	env := map[string]string{"IMS_SMTP_URL": "smtps://u:p@mail.example:465", "IMS_MAIL_FROM": "IMS Login <login@example.org>",
		"IMS_RESET_LIFETIME": "30m", "IMS_INVITATION_LIFETIME": "72h"}
	if err := ApplyEnvironment(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPURL != env["IMS_SMTP_URL"] || cfg.MailFrom != env["IMS_MAIL_FROM"] ||
		cfg.ResetLifetime != 30*time.Minute || cfg.InvitationLifetime != 72*time.Hour {
		t.Errorf("got %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
}

func TestMailSettingsAreValidatedTogether(t *testing.T) {
	cfg := Default()
	cfg.SMTPURL = "http://mail.example"
	cfg.ResetLifetime = time.Second
	cfg.InvitationLifetime = 90 * 24 * time.Hour
	err := cfg.Validate()
	for _, want := range []string{"smtp-url", "mail-from: required", "reset-lifetime", "invitation-lifetime"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
	cfg = Default()
	cfg.MailFrom = "no address here"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "mail-from") {
		t.Errorf("bad sender: %v", err)
	}
}
