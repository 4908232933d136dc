package membership_test

import (
	"strings"
	"testing"
	"unicode"

	"imslogin/internal/field"
	"imslogin/internal/membership"
)

// normalise is what every form does to an email address before it is
// validated, stored or looked up (signin.NormaliseEmail).
func normalise(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// FuzzValidateEmail: an address a form accepts, once normalised as forms
// do, fits field.Email, is a bare address (one @, a dotted domain, no space
// or control character) and normalises to itself.
func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"ana@example.org", " Ana@Example.ORG ", "ana@localhost", `"a b"@example.org`, "Ana <ana@example.org>",
		"a@b@example.org", "ana@[127.0.0.1]", "ANA@EXAMPLE.ORG\n", "\u212a@example.org", "İ@example.org",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		email := normalise(typed)
		if membership.ValidateEmail(email) != nil {
			return
		}
		local, domain, _ := strings.Cut(email, "@")
		switch {
		case len(email) > field.Email:
			t.Fatalf("%q accepted: %d bytes", email, len(email))
		case strings.Count(email, "@") != 1 || local == "" || !strings.Contains(domain, "."):
			t.Fatalf("%q accepted: not a bare address", email)
		case strings.ContainsFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			t.Fatalf("%q accepted with a space or control character", email)
		case normalise(email) != email:
			t.Fatalf("%q accepted but normalises to %q", email, normalise(email))
		}
	})
}
