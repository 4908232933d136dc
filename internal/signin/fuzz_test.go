package signin_test

import (
	"net/url"
	"strings"
	"testing"

	"imslogin/internal/field"
	"imslogin/internal/signin"
)

// FuzzSafeReturnPath: whatever a link or form carries, the path kept is
// empty or a bounded path on this site: no scheme, no host, no
// protocol-relative or backslash form a browser could read as another site.
func FuzzSafeReturnPath(f *testing.F) {
	for _, s := range []string{"/dashboard", "//evil.example", "/\\evil.example", "https://evil.example/", "/a?b=c#d",
		"/%2F%2Fevil.example", "/\t/evil", "", "javascript:alert(1)", "/" + strings.Repeat("a", 3000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := signin.SafeReturnPath(p)
		if got == "" {
			return
		}
		if got != p || len(got) > field.ReturnPath || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") ||
			strings.ContainsAny(got, "\\\r\n\t") {
			t.Fatalf("kept %q", got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			t.Fatalf("kept %q, which parses as %+v, %v", got, u, err)
		}
	})
}
