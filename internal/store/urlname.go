package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxURLNameLength bounds a URL name: the length of a DNS label, so a URL
// name could also name a host one day.
const MaxURLNameLength = 63

// FallbackURLName is the URL name of an organisation whose name has no
// letter or digit that folds to ASCII (a name in Japanese script, say);
// -2, -3… follow it as for any other.
const FallbackURLName = "org"

// ReservedURLNameSuffix is appended to a derived URL name that is reserved:
// "Admin" becomes admin-org.
const ReservedURLNameSuffix = "-org"

// reservedURLNames may not be URL names: the site's top-level routes, the
// OpenID Connect provider's endpoint names and a few infrastructure names,
// so an organisation's addresses ({public URL}/o/{url-name}/…) never read
// as the site's own, whichever way routes grow.
var reservedURLNames = []string{
	"admin", "api", "assets", "auth", "authorize", "callback", "consent", "dashboard", "dev", "end-session",
	"favicon", "forgot-password", "healthz", "ims", "introspect", "invitation", "jwks", "keys", "login",
	"logout", "logout-everywhere", "metrics", "o", "oauth", "oauth2", "oidc", "openid", "password", "pictures",
	"profile", "readyz", "reauthenticate", "reset-password", "revoke", "settings", "static", "token",
	"userinfo", "well-known", "whoami", "www",
}

// ReservedURLName reports whether s is reserved for the site's own routes.
func ReservedURLName(s string) bool { return slices.Contains(reservedURLNames, s) }

// foldedLetters are the Latin letters NFKD does not take apart, spelt the
// way English writes them.
var foldedLetters = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l",
	'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i", 'ħ': "h", 'Ħ': "h",
}

// URLNameOf derives an organisation's URL name from its name: letters
// folded to lower-case ASCII (é → e, ß → ss, ﬁ → fi), digits kept, every
// other run of characters one hyphen, no hyphen at either end, at most
// MaxURLNameLength characters (cut at a word where it can be). A name with
// nothing left gives FallbackURLName; a reserved result gets
// ReservedURLNameSuffix. The result always passes ValidURLName; it is not
// necessarily free (see URLNameCandidate).
func URLNameOf(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFKD.String(name) {
		if unicode.Is(unicode.Mn, r) { // the accent of a decomposed letter
			continue
		}
		part := ""
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			part = string(unicode.ToLower(r))
		default:
			part = foldedLetters[r]
		}
		if part == "" {
			hyphen = b.Len() > 0
			continue
		}
		if hyphen {
			b.WriteByte('-')
			hyphen = false
		}
		b.WriteString(part)
	}
	s := cut(b.String(), MaxURLNameLength)
	switch {
	case s == "":
		return FallbackURLName
	case ReservedURLName(s):
		return s + ReservedURLNameSuffix
	}
	return s
}

// URLNameCandidate is the n-th URL name to try for an organisation whose
// derived URL name is base: base itself, then base-2, base-3…, base cut
// short so the whole stays within MaxURLNameLength.
func URLNameCandidate(base string, n int) string {
	if n <= 1 {
		return base
	}
	suffix := "-" + strconv.Itoa(n)
	return cut(base, MaxURLNameLength-len(suffix)) + suffix
}

// cut shortens a URL name to at most n characters, at a hyphen when one
// falls in the last third, and never leaves a hyphen at the end.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '-'); i >= n*2/3 {
		s = s[:i]
	}
	return strings.TrimRight(s, "-")
}

// ValidURLName checks a URL name an operator gives: 1 to 63 lower-case
// ASCII letters, digits and single hyphens, starting and ending with a
// letter or digit, and not reserved.
func ValidURLName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("URL name must not be empty")
	case len(s) > MaxURLNameLength:
		return fmt.Errorf("URL name %q is too long (%d characters, at most %d)", s, len(s), MaxURLNameLength)
	case strings.ContainsFunc(s, func(r rune) bool { return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' }):
		hint := ""
		if derived := URLNameOf(s); derived != FallbackURLName && derived != s {
			hint = fmt.Sprintf(", such as %q", derived)
		}
		return fmt.Errorf("URL name %q may contain only lower-case letters a-z, digits and hyphens%s", s, hint)
	case s[0] == '-' || s[len(s)-1] == '-':
		return fmt.Errorf("URL name %q must start and end with a letter or digit", s)
	case strings.Contains(s, "--"):
		return fmt.Errorf("URL name %q must not contain two hyphens in a row", s)
	case ReservedURLName(s):
		return fmt.Errorf("URL name %q is reserved for the site's own addresses: choose another, such as %q", s, s+ReservedURLNameSuffix)
	}
	return nil
}
