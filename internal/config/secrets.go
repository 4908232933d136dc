package config

import (
	"net/url"
	"strings"
)

// secretFlags are the settings that may hold a secret: each can be given
// as IMS_NAME_FILE, and is masked when printed.
var secretFlags = map[string]bool{"database-url": true, "smtp-url": true, "sms-url": true}

// Secret reports whether a flag's value may hold a secret.
func Secret(flag string) bool { return secretFlags[flag] }

// SecretFlags lists the settings that may hold a secret.
func SecretFlags() []string { return []string{"database-url", "smtp-url", "sms-url"} }

// mask replaces a hidden part of a value.
const mask = "xxxxx"

// Masked is a flag's value fit to print: for a secret setting, a URL's
// password and any secret-looking query parameter are replaced by xxxxx;
// a secret that is not a URL is hidden whole.
func Masked(flag, value string) string {
	if !Secret(flag) || value == "" {
		return value
	}
	u, err := url.Parse(value)
	if err != nil || u.Scheme == "" {
		return mask
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mask)
	}
	q := u.Query()
	for k := range q {
		switch strings.ToLower(k) {
		case "password", "pass", "secret", "token", "sslpassword":
			q.Set(k, mask)
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
