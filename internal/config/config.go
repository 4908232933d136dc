// Package config holds the server's configuration, read from flags, IMS_*
// environment variables and an optional file, in that order of precedence,
// and validated in one place that reports every problem at once.
package config

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Config is everything `ims serve` needs, as plain values: the wiring
// (cmd/ims, internal/server) turns them into the other packages' types.
type Config struct {
	Addr string
	// MetricsAddr is the Prometheus metrics listener; empty: none.
	MetricsAddr      string
	DatabaseURL      string
	PublicURL        string
	LogLevel         string
	LogFormat        string
	Argon2MemoryKiB  uint32
	Argon2Time       uint32
	Argon2Threads    uint8
	HashWorkers      int
	HashQueueTimeout time.Duration
	ShutdownTimeout  time.Duration
	// TrustedProxyHeader names the header a reverse proxy sets to the
	// client's address (X-Forwarded-For); empty uses the connection's peer.
	TrustedProxyHeader            string
	ThrottleAddressPerMinute      float64
	ThrottleAddressBurst          int
	ThrottleOrganisationPerMinute float64
	ThrottleOrganisationBurst     int
	// AuditRetention is how long audit entries are kept; 0 keeps them all.
	AuditRetention time.Duration
	// MailRetention is how long sent and failed email and text messages
	// stay in the outboxes (delivered ones keep no body); 0 keeps them all.
	MailRetention time.Duration
	// SMSURL names the SMS provider (twilio://, webhook+https://, dev://).
	SMSURL string
	// SMTPURL is the mail server; empty keeps mail in the outbox.
	SMTPURL            string
	MailFrom           string
	InvitationLifetime time.Duration
	ResetLifetime      time.Duration
	// PasswordBlocklist is a sorted file of breached passwords or their
	// SHA-1 hashes, checked besides the embedded list.
	PasswordBlocklist string
	// SecretKeyFile holds the key that seals authenticator-app secrets;
	// empty means secret.key beside the SQLite database (see SecretKeyPath).
	SecretKeyFile string
	// SecretKeyLost starts with a new key in place of a lost one: the apps
	// sealed with the lost key stop working.
	SecretKeyLost bool
}

// Default is the configuration before flags, environment and file. The
// argon2id cost is password.DefaultParams, OWASP's baseline (a test in
// internal/server keeps them equal).
func Default() Config {
	return Config{
		Addr:               "127.0.0.1:8080",
		DatabaseURL:        "sqlite:ims-data/ims.db",
		PublicURL:          "http://127.0.0.1:8080",
		LogLevel:           "info",
		LogFormat:          "text",
		Argon2MemoryKiB:    19 * 1024,
		Argon2Time:         2,
		Argon2Threads:      1,
		HashQueueTimeout:   2 * time.Second,
		ShutdownTimeout:    15 * time.Second,
		InvitationLifetime: 7 * 24 * time.Hour,
		ResetLifetime:      time.Hour,

		ThrottleAddressPerMinute:      60,
		ThrottleAddressBurst:          20,
		ThrottleOrganisationPerMinute: 600,
		ThrottleOrganisationBurst:     200,
		AuditRetention:                365 * 24 * time.Hour,
		MailRetention:                 30 * 24 * time.Hour,
	}
}

// ConfigFileFlag names the flag (and IMS_CONFIG variable) for the file.
const ConfigFileFlag = "config"

// BindFlags registers a flag for every setting; each also reads IMS_NAME
// (the flag's name upper-cased, dashes as underscores).
func (c *Config) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on, host:port")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr,
		"address of the Prometheus metrics listener, host:port, kept off the public network (empty: no metrics)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "database: sqlite:PATH or postgres://user@host:5432/db")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the address members use; links in emails are built from it")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
	fs.Uint32Var(&c.Argon2MemoryKiB, "argon2-memory-kib", c.Argon2MemoryKiB, "argon2id memory per hash, KiB")
	fs.Uint32Var(&c.Argon2Time, "argon2-time", c.Argon2Time, "argon2id passes")
	fs.Uint8Var(&c.Argon2Threads, "argon2-threads", c.Argon2Threads, "argon2id lanes")
	fs.IntVar(&c.HashWorkers, "hash-workers", c.HashWorkers, "password hashes run at once (0: one per CPU)")
	fs.DurationVar(&c.HashQueueTimeout, "hash-queue-timeout", c.HashQueueTimeout, "how long a sign-in waits for a hashing slot before 503")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long in-flight requests may finish on SIGTERM")
	fs.StringVar(&c.TrustedProxyHeader, "trusted-proxy-header", c.TrustedProxyHeader,
		"header a reverse proxy sets to the client address, e.g. X-Forwarded-For (empty: the connection's peer)")
	fs.Float64Var(&c.ThrottleAddressPerMinute, "throttle-address-per-minute", c.ThrottleAddressPerMinute, "password attempts a minute from one client address")
	fs.IntVar(&c.ThrottleAddressBurst, "throttle-address-burst", c.ThrottleAddressBurst, "password attempts at once from one client address")
	fs.Float64Var(&c.ThrottleOrganisationPerMinute, "throttle-organisation-per-minute", c.ThrottleOrganisationPerMinute, "password attempts a minute for one organisation")
	fs.IntVar(&c.ThrottleOrganisationBurst, "throttle-organisation-burst", c.ThrottleOrganisationBurst, "password attempts at once for one organisation")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "how long audit log entries are kept (0: forever)")
	fs.DurationVar(&c.MailRetention, "mail-retention", c.MailRetention, "how long sent and failed messages (email, text, back-channel logout) stay in their outboxes (0: forever)")
	fs.StringVar(&c.SMSURL, "sms-url", c.SMSURL,
		"SMS provider: twilio://SID:TOKEN@default?from=%2B15550100, webhook+https://:SECRET@host/path, or dev:// (kept for /dev/mail)")
	fs.String(ConfigFileFlag, "", "file of IMS_NAME=value lines, read after flags and environment")
	c.BindSecretKeyFlag(fs)
	c.BindMailFlags(fs)
	fs.StringVar(&c.PasswordBlocklist, "password-blocklist", c.PasswordBlocklist, "sorted file of breached passwords or SHA-1 hashes (one a line) to reject besides the embedded list")
}

// BindSecretKeyFlag registers the key file's setting, for every command
// that seals or opens authenticator-app secrets.
func (c *Config) BindSecretKeyFlag(fs *pflag.FlagSet) {
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile,
		"file of the key sealing authenticator-app secrets (64 hex characters); empty: secret.key beside the SQLite database")
	fs.BoolVar(&c.SecretKeyLost, "secret-key-lost", c.SecretKeyLost,
		"the key that sealed the stored authenticator apps is lost: start with a new key anyway (those apps stop working)")
}

// BindMailFlags registers the mail delivery and emailed-link settings.
func (c *Config) BindMailFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "mail server: smtp://user:pass@host:587 (STARTTLS) or smtps://…:465; empty keeps mail in the outbox")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, `sender of emails, such as "IMS Login <login@example.org>"`)
	fs.DurationVar(&c.InvitationLifetime, "invitation-lifetime", c.InvitationLifetime, "how long an invitation link works")
	fs.DurationVar(&c.ResetLifetime, "reset-lifetime", c.ResetLifetime, "how long a password reset link works")
}

// EnvName is the environment variable for a flag: IMS_ plus its name.
func EnvName(flag string) string {
	return "IMS_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnvironment fills every flag not given on the command line from its
// IMS_* variable, then from the config file, if one is named. A secret
// (see Secret) may instead be read from the file IMS_NAME_FILE names, in
// the environment or in the config file. Every problem is reported.
func ApplyEnvironment(fs *pflag.FlagSet, getenv func(string) string) error {
	errs := apply(fs, "", func(k string) (string, bool) { v := getenv(k); return v, v != "" })
	path, _ := fs.GetString(ConfigFileFlag)
	if path == "" {
		return errors.Join(errs...)
	}
	values, err := readFile(path)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, apply(fs, path+": ", func(k string) (string, bool) { v, ok := values[k]; return v, ok })...)
	return errors.Join(errs...)
}

// apply sets each flag not set yet from lookup; source prefixes errors.
func apply(fs *pflag.FlagSet, source string, lookup func(string) (string, bool)) []error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		name := EnvName(f.Name)
		v, ok := lookup(name)
		if file, fromFile := lookup(name + "_FILE"); fromFile && Secret(f.Name) {
			if ok {
				errs = append(errs, fmt.Errorf("%s%s and %s_FILE are both set: keep one", source, name, name))
				return
			}
			secret, err := readSecret(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s%s_FILE: %w", source, name, err))
				return
			}
			v, ok = secret, true
		}
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s%s=%q: %v", source, name, Masked(f.Name, v), err))
		}
	})
	return errs
}

// readSecret reads a secret's file (a Docker or Kubernetes secret),
// without the line end editors add.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// readFile reads IMS_NAME=value lines; blank lines and # comments are skipped.
func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	values := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(k, "IMS_") {
			return nil, fmt.Errorf("%s:%d: want IMS_NAME=value", path, n)
		}
		values[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return values, sc.Err()
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("addr: must not be empty"))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("metrics-addr %q: want host:port, such as 127.0.0.1:9090", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") { // :0 picks a free port each
			errs = append(errs, errors.New("metrics-addr: must differ from addr: metrics are never served on the public listener"))
		}
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database-url: want sqlite:PATH or postgres://…"))
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		errs = append(errs, fmt.Errorf("public-url %q: want http(s)://host[:port] with no path", c.PublicURL))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format %q: want text or json", c.LogFormat))
	}
	errs = append(errs, c.validateArgon2()...)
	if c.HashWorkers < 0 {
		errs = append(errs, errors.New("hash-workers: must not be negative"))
	}
	if c.HashQueueTimeout <= 0 {
		errs = append(errs, errors.New("hash-queue-timeout: must be positive"))
	}
	if c.TrustedProxyHeader != "" && !validHeaderName(c.TrustedProxyHeader) {
		errs = append(errs, fmt.Errorf("trusted-proxy-header %q: want a header name such as X-Forwarded-For", c.TrustedProxyHeader))
	}
	if c.ThrottleAddressPerMinute <= 0 || c.ThrottleOrganisationPerMinute <= 0 {
		errs = append(errs, errors.New("throttle-address-per-minute and throttle-organisation-per-minute: must be positive"))
	}
	if c.ThrottleAddressBurst < 1 || c.ThrottleOrganisationBurst < 1 {
		errs = append(errs, errors.New("throttle-address-burst and throttle-organisation-burst: must be at least 1"))
	}
	if c.AuditRetention < 0 {
		errs = append(errs, errors.New("audit-retention: must not be negative (0 keeps entries forever)"))
	}
	if c.MailRetention < 0 {
		errs = append(errs, errors.New("mail-retention: must not be negative (0 keeps messages forever)"))
	}
	if err := checkSMSURL(c.SMSURL); err != nil {
		errs = append(errs, fmt.Errorf("sms-url: %w", err))
	}
	return errors.Join(append(errs, c.validateMail()...)...)
}

func (c Config) validateMail() []error {
	var errs []error
	if c.SMTPURL != "" {
		if err := checkSMTPURL(c.SMTPURL); err != nil {
			errs = append(errs, err)
		}
		if c.MailFrom == "" {
			errs = append(errs, errors.New("mail-from: required with smtp-url, such as \"IMS Login <login@example.org>\""))
		}
	}
	if c.MailFrom != "" {
		if err := checkMailFrom(c.MailFrom); err != nil {
			errs = append(errs, err)
		}
	}
	if c.InvitationLifetime < time.Hour || c.InvitationLifetime > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("invitation-lifetime %v: want between 1h and 720h", c.InvitationLifetime))
	}
	if c.ResetLifetime < 5*time.Minute || c.ResetLifetime > 24*time.Hour {
		errs = append(errs, fmt.Errorf("reset-lifetime %v: want between 5m and 24h", c.ResetLifetime))
	}
	return errs
}

// validHeaderName accepts an HTTP header name: letters, digits and dashes.
func validHeaderName(h string) bool {
	for _, c := range h {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return h != ""
}

// SQLite reports whether the database is SQLite (one node).
func (c Config) SQLite() bool { return strings.HasPrefix(c.DatabaseURL, "sqlite:") }

// SecretKeyPath is the key file: SecretKeyFile, or by default secret.key
// in the SQLite database's folder, so the key lives (and is backed up)
// with the data. PostgreSQL has no default: its nodes must share one file.
func (c Config) SecretKeyPath() (string, error) {
	if c.SecretKeyFile != "" {
		return c.SecretKeyFile, nil
	}
	if !c.SQLite() {
		return "", errors.New("secret-key-file: required with PostgreSQL, the same file on every node " +
			"(64 hexadecimal characters, such as the output of `openssl rand -hex 32`; IMS_SECRET_KEY_FILE)")
	}
	return filepath.Join(filepath.Dir(strings.TrimPrefix(c.DatabaseURL, "sqlite:")), "secret.key"), nil
}

// Secure reports whether members reach the server over https, so cookies
// must be Secure and carry the __Host- prefix.
func (c Config) Secure() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// PublicBaseURL is the public URL without a trailing slash.
func (c Config) PublicBaseURL() string { return strings.TrimSuffix(c.PublicURL, "/") }
