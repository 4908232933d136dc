package store_test

import (
	"strings"
	"testing"

	"imslogin/internal/store"
)

func TestURLNameOf(t *testing.T) {
	long := strings.Repeat("research ", 20) // 180 characters
	for name, want := range map[string]string{
		"Acme Corp":                     "acme-corp",
		"  Acme   Corp  ":               "acme-corp",
		"ACME-corp!":                    "acme-corp",
		"--Acme--":                      "acme",
		"Acme, Inc.":                    "acme-inc",
		"Ana's Bakery & Co.":            "ana-s-bakery-co",
		"R&D 2026":                      "r-d-2026",
		"Café Zoë":                      "cafe-zoe",
		"Crème Brûlée Ltd":              "creme-brulee-ltd",
		"Straße":                        "strasse",
		"Øresund Æble Œuvre":            "oresund-aeble-oeuvre",
		"Łódź":                          "lodz",
		"Ｆｕｌｌ Ｗｉｄｔｈ":                    "full-width",
		"ﬁne":                           "fine",
		"Ünïcödé 東京 Office":             "unicode-office",
		"東京大学":                          "org",
		"!!!":                           "org",
		"":                              "org",
		"Admin":                         "admin-org",
		"API":                           "api-org",
		"Well-Known":                    "well-known-org",
		"Login":                         "login-org",
		"Logins":                        "logins",
		long:                            "research-research-research-research-research-research-research",
		strings.Repeat("a", 100):        strings.Repeat("a", 63),
		strings.Repeat("ab ", 21) + "c": strings.Repeat("ab-", 20) + "ab",
	} {
		got := store.URLNameOf(name)
		if got != want {
			t.Errorf("URLNameOf(%q) = %q, want %q", name, got, want)
		}
		if err := store.ValidURLName(got); err != nil {
			t.Errorf("URLNameOf(%q) = %q, which ValidURLName refuses: %v", name, got, err)
		}
	}
}

func TestURLNameCandidate(t *testing.T) {
	base := strings.Repeat("x", 63)
	for _, c := range []struct {
		base string
		n    int
		want string
	}{
		{"acme-corp", 1, "acme-corp"},
		{"acme-corp", 2, "acme-corp-2"},
		{"acme-corp", 12, "acme-corp-12"},
		{base, 2, strings.Repeat("x", 61) + "-2"},
		{base, 100, strings.Repeat("x", 59) + "-100"},
		{strings.Repeat("abcdefghi-", 6) + "xyz", 2, strings.Repeat("abcdefghi-", 5) + "abcdefghi-2"},
	} {
		got := store.URLNameCandidate(c.base, c.n)
		if got != c.want {
			t.Errorf("URLNameCandidate(%q, %d) = %q, want %q", c.base, c.n, got, c.want)
		}
		if err := store.ValidURLName(got); err != nil || len(got) > store.MaxURLNameLength {
			t.Errorf("URLNameCandidate(%q, %d) = %q: %v", c.base, c.n, got, err)
		}
	}
}

func TestValidURLName(t *testing.T) {
	for _, ok := range []string{"acme", "acme-corp", "a", "0", "3m", "org-2", strings.Repeat("a", 63), "admin-org", "logins"} {
		if err := store.ValidURLName(ok); err != nil {
			t.Errorf("ValidURLName(%q) = %v, want nil", ok, err)
		}
	}
	for s, want := range map[string]string{
		"":                      "must not be empty",
		strings.Repeat("a", 64): "too long (64 characters, at most 63)",
		"Acme":                  `may contain only lower-case letters a-z, digits and hyphens, such as "acme"`,
		"acme_corp":             `such as "acme-corp"`,
		"acme corp":             `such as "acme-corp"`,
		"café":                  `such as "cafe"`,
		"acme.test":             "may contain only",
		"acme/login":            "may contain only",
		"東京":                    "may contain only lower-case letters a-z, digits and hyphens",
		"-acme":                 "must start and end with a letter or digit",
		"acme-":                 "must start and end with a letter or digit",
		"acme--corp":            "two hyphens in a row",
		"login":                 `"login" is reserved for the site's own addresses: choose another, such as "login-org"`,
		"admin":                 "is reserved",
		"api":                   "is reserved",
		"static":                "is reserved",
		"well-known":            "is reserved",
		"o":                     "is reserved",
	} {
		err := store.ValidURLName(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidURLName(%q) = %v, want an error containing %q", s, err, want)
		}
	}
}
