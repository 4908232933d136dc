package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckListsEveryProblem: problems from the environment, the
// config file and their combination are all listed at once, and the
// command fails.
func TestConfigCheckListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "ims.conf")
	os.WriteFile(conf, []byte("IMS_PUBLIC_URL=ftp://login.example\nIMS_ARGON2_TIME=lots\n"), 0o600)
	t.Setenv("IMS_LOG_LEVEL", "loud")
	t.Setenv("IMS_DATABASE_URL", "postgres://ims:hunter2@db.example/ims")
	t.Setenv("IMS_SMTP_URL_FILE", filepath.Join(dir, "missing"))
	t.Setenv("IMS_METRICS_ADDR", "9090")
	out, err := run(t, "", "config", "check", "--config", conf)
	if err == nil {
		t.Fatalf("an invalid configuration passed:\n%s", out)
	}
	for _, want := range []string{"IMS_ARGON2_TIME", "public-url", "log-level", "IMS_SMTP_URL_FILE", "metrics-addr",
		"secret-key-file: required with PostgreSQL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not mention %s:\n%s", want, out)
		}
	}
	if strings.Contains(out+err.Error(), "hunter2") {
		t.Errorf("a secret was printed:\n%s", out)
	}
}

func TestConfigCheckPassesAndWarns(t *testing.T) {
	dir := t.TempDir()
	smtp := filepath.Join(dir, "smtp")
	os.WriteFile(smtp, []byte("smtp://relay.internal.example?tls=none\n"), 0o600)
	t.Setenv("IMS_DATABASE_URL", "sqlite:"+filepath.Join(dir, "ims.db"))
	t.Setenv("IMS_SMTP_URL_FILE", smtp)
	t.Setenv("IMS_MAIL_FROM", "login@example.org")
	t.Setenv("IMS_METRICS_ADDR", "0.0.0.0:9464")
	out, err := run(t, "", "config", "check")
	if err != nil || !strings.Contains(out, "The configuration is valid.") || !strings.Contains(out, "warning: smtp-url: tls=none") ||
		!strings.Contains(out, "warning: metrics-addr 0.0.0.0:9464 listens on every interface") {
		t.Errorf("config check: %v\n%s", err, out)
	}
	key := filepath.Join(dir, "bad.key")
	os.WriteFile(key, []byte("not a key\n"), 0o600)
	t.Setenv("IMS_SECRET_KEY_FILE", key)
	if out, err := run(t, "", "config", "check"); err == nil || !strings.Contains(out, "secret-key-file "+key) {
		t.Errorf("a broken key file passed: %v\n%s", err, out)
	}
}

// TestConfigShowMasksSecrets prints what serve would use, secrets masked.
func TestConfigShowMasksSecrets(t *testing.T) {
	sms := filepath.Join(t.TempDir(), "sms")
	os.WriteFile(sms, []byte("webhook+https://:sig-secret@gw.example/send"), 0o600)
	t.Setenv("IMS_SMTP_URL", "smtps://ims:hunter2@mail.example:465")
	t.Setenv("IMS_SMS_URL_FILE", sms)
	out, err := run(t, "", "config", "show", "--log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IMS_SMTP_URL=smtps://ims:xxxxx@mail.example:465\n", "IMS_SMS_URL=webhook+https://:xxxxx@gw.example/send\n",
		"IMS_LOG_LEVEL=debug\n", "IMS_ADDR=127.0.0.1:8080\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "sig-secret") {
		t.Errorf("a secret was printed:\n%s", out)
	}
}
