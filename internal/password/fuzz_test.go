package password

import (
	"bytes"
	"testing"
)

// FuzzDecodePHC: any stored hash text is decoded without panicking, and
// what decodes encodes back to a string that decodes to the same values,
// within the parameter bounds (so no stored text makes a hash costlier
// than Validate allows).
func FuzzDecodePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5")
	f.Add("$argon2i$v=19$m=8192,t=1,p=1$c2FsdA$a2V5")
	f.Add("")
	f.Fuzz(func(t *testing.T, phc string) {
		p, salt, key, err := decode(phc)
		if err != nil {
			return
		}
		if p.Validate() != nil {
			t.Fatalf("decoded parameters out of bounds: %+v", p)
		}
		p2, salt2, key2, err := decode(encode(p, salt, key))
		if err != nil || p2 != p || !bytes.Equal(salt, salt2) || !bytes.Equal(key, key2) {
			t.Fatalf("round trip of %q: %+v, %v", phc, p2, err)
		}
	})
}
