package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func bind(t *testing.T, args ...string) (*Config, *pflag.FlagSet) {
	t.Helper()
	cfg := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &cfg, fs
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSecretsFromFiles: every secret setting reads IMS_NAME_FILE, from the
// environment or the config file, without the file's line end.
func TestSecretsFromFiles(t *testing.T) {
	smtp := writeFile(t, "smtp", "smtps://ims:s3cret@mail.example:465\n")
	sms := writeFile(t, "sms", "twilio://AC1:tok@default?from=%2B15550100\r\n")
	db := writeFile(t, "db", "postgres://ims:pw@db.example:5432/ims")
	conf := writeFile(t, "ims.conf", "IMS_SMS_URL_FILE="+sms+"\n")
	cfg, fs := bind(t, "--config", conf)
	env := map[string]string{"IMS_SMTP_URL_FILE": smtp, "IMS_DATABASE_URL_FILE": db}
	if err := ApplyEnvironment(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPURL != "smtps://ims:s3cret@mail.example:465" || cfg.SMSURL != "twilio://AC1:tok@default?from=%2B15550100" ||
		cfg.DatabaseURL != "postgres://ims:pw@db.example:5432/ims" {
		t.Errorf("got smtp %q, sms %q, database %q", cfg.SMTPURL, cfg.SMSURL, cfg.DatabaseURL)
	}
	for _, flag := range SecretFlags() {
		if !Secret(flag) || fs.Lookup(flag) == nil {
			t.Errorf("%s: not a secret flag of serve", flag)
		}
	}
}

// TestSecretFileProblemsAreAllReported: a missing file, an empty one, and a
// variable set both ways are each reported, none hides another, and no
// secret is printed.
func TestSecretFileProblemsAreAllReported(t *testing.T) {
	empty := writeFile(t, "empty", "\n")
	smtp := writeFile(t, "smtp", "smtp://u:hunter2@mail.example")
	_, fs := bind(t)
	env := map[string]string{"IMS_SMTP_URL_FILE": smtp, "IMS_SMTP_URL": "smtp://u:hunter2@mail.example",
		"IMS_SMS_URL_FILE": empty, "IMS_DATABASE_URL_FILE": "/no/such/file", "IMS_ADDR_FILE": smtp}
	err := ApplyEnvironment(fs, func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"IMS_SMTP_URL and IMS_SMTP_URL_FILE are both set", "IMS_SMS_URL_FILE: " + empty + " is empty",
		"IMS_DATABASE_URL_FILE: open /no/such/file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows a secret: %v", err)
	}
	if a, _ := fs.GetString("addr"); a != Default().Addr {
		t.Errorf("addr %q: only secrets are read from files", a)
	}
}

func TestMaskedHidesSecretsOnly(t *testing.T) {
	for _, c := range []struct{ flag, in, want string }{
		{"smtp-url", "smtp://ims:hunter2@mail.example:587?tls=none", "smtp://ims:xxxxx@mail.example:587?tls=none"},
		{"sms-url", "webhook+https://:sig@gw.example/send", "webhook+https://:xxxxx@gw.example/send"},
		{"database-url", "postgres://ims@db.example/ims?password=hunter2&sslmode=require", "postgres://ims@db.example/ims?password=xxxxx&sslmode=require"},
		{"database-url", "sqlite:ims-data/ims.db", "sqlite:ims-data/ims.db"},
		{"database-url", "host=db password=hunter2", "xxxxx"},
		{"smtp-url", "", ""},
		{"addr", "127.0.0.1:8080", "127.0.0.1:8080"},
	} {
		if got := Masked(c.flag, c.in); got != c.want {
			t.Errorf("Masked(%s, %q) = %q, want %q", c.flag, c.in, got, c.want)
		}
	}
}

func TestMetricsAddr(t *testing.T) {
	cfg := Default()
	if cfg.MetricsAddr != "" {
		t.Errorf("metrics are on by default at %s", cfg.MetricsAddr)
	}
	cfg.MetricsAddr = "127.0.0.1:9090"
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"9090", cfg.Addr} {
		cfg.MetricsAddr = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "metrics-addr") {
			t.Errorf("metrics-addr %q: %v", bad, err)
		}
	}
}
