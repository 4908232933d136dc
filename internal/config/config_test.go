package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestPrecedenceFlagThenEnvironmentThenFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ims.conf")
	os.WriteFile(file, []byte("# comment\nIMS_ADDR=file:1\nIMS_PUBLIC_URL=\"https://file.example\"\nIMS_LOG_LEVEL=warn\n"), 0o600)
	cfg := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.BindFlags(fs)
	if err := fs.Parse([]string{"--addr", "flag:1", "--config", file}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"IMS_ADDR": "env:1", "IMS_PUBLIC_URL": "https://env.example"}
	if err := ApplyEnvironment(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "flag:1" || cfg.PublicURL != "https://env.example" || cfg.LogLevel != "warn" {
		t.Errorf("got addr %q, public URL %q, log level %q", cfg.Addr, cfg.PublicURL, cfg.LogLevel)
	}
	if !cfg.Secure() {
		t.Error("an https public URL is not secure")
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	cfg := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.BindFlags(fs)
	err := ApplyEnvironment(fs, func(k string) string {
		if k == "IMS_ARGON2_TIME" {
			return "lots"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "IMS_ARGON2_TIME") {
		t.Errorf("got %v, want an error naming IMS_ARGON2_TIME", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := Default()
	cfg.DatabaseURL = "mysql://x"
	cfg.PublicURL = "https://login.example/path?q"
	cfg.LogLevel = "loud"
	cfg.Argon2MemoryKiB = 1
	err := cfg.Validate()
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, want := range []string{"database-url", "public-url", "log-level", "argon2 memory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("default configuration invalid: %v", err)
	}
}

// TestSecretKeyFile: by default the key lives beside the SQLite database;
// PostgreSQL has no default, and the setting reads IMS_SECRET_KEY_FILE.
func TestSecretKeyFile(t *testing.T) {
	cfg := Default()
	if path, err := cfg.SecretKeyPath(); err != nil || path != filepath.Join("ims-data", "secret.key") {
		t.Errorf("default: %q, %v", path, err)
	}
	cfg.DatabaseURL = "postgres://ims@db.example:5432/ims"
	if _, err := cfg.SecretKeyPath(); err == nil {
		t.Error("PostgreSQL without a key file has a default")
	}
	if err := cfg.Validate(); err != nil { // commands that never read secrets (ims member add…) need no key
		t.Errorf("validate: %v", err)
	}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.BindFlags(fs)
	env := map[string]string{"IMS_SECRET_KEY_FILE": "/etc/ims/secret.key"}
	if err := ApplyEnvironment(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if path, err := cfg.SecretKeyPath(); err != nil || path != "/etc/ims/secret.key" || cfg.Validate() != nil {
		t.Errorf("from the environment: %q, %v, %v", path, err, cfg.Validate())
	}
}
