package oidc

import (
	"strings"
	"testing"
)

// FuzzTokenCrypto: whatever a portal presents as a code or a bearer
// string, a sealed one opens only to what this server sealed (a mutated
// one is refused), an access token opens only to its own ID, and what is
// sealed opens again to itself.
func FuzzTokenCrypto(f *testing.F) {
	c := newTokenCrypto([32]byte{1, 2, 3})
	sealed := map[string]bool{}
	// Fixed plaintexts: the seeds sealed here are opened again in the
	// fuzzing workers, which run this setup each.
	for _, plain := range []string{"auth-request-id", "QxdtXPVRnASujXs2MZ9TVa-6", "id:subject"} {
		s, err := c.Encrypt(plain)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := c.Decrypt(s); err != nil {
			f.Fatal(err)
		}
		f.Add(s, plain)
		sealed[plain] = true
	}
	sealed["id:"] = true // what the access token "id:subject" opens to
	old, _ := c.fallback.Encrypt("old-id:subject")
	sealed["old-id:subject"] = true
	f.Add(old, "x")
	f.Add(accessTokenPrefix+"a:b", "")
	f.Add(accessTokenPrefix, ":")
	f.Fuzz(func(t *testing.T, presented, plain string) {
		got, err := c.Decrypt(presented)
		if err == nil {
			if id, ok := strings.CutPrefix(presented, accessTokenPrefix); ok {
				if id == "" || got != id+":" || strings.Count(got, ":") != 1 {
					t.Fatalf("access token %q opened to %q", presented, got)
				}
			} else if !sealed[got] {
				t.Fatalf("%q, not sealed here, opened to %q", presented, got)
			}
		}
		s, err := c.Encrypt(plain)
		if err != nil {
			return
		}
		want := plain
		if id, _, ok := strings.Cut(plain, ":"); ok {
			want = id + ":"
		}
		if back, err := c.Decrypt(s); err != nil || back != want {
			t.Fatalf("%q sealed as %q opened to %q, %v", plain, s, back, err)
		}
	})
}
