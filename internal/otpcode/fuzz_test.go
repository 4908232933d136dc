package otpcode_test

import (
	"testing"

	"imslogin/internal/otpcode"
)

// FuzzWellFormed: only six ASCII digits, once spaces and dashes are
// dropped, are taken as a code (and so counted and checked).
func FuzzWellFormed(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "123-456", "12345", "1234567", "١٢٣٤٥٦", "12345a", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, guess string) {
		if !otpcode.WellFormed(guess) {
			return
		}
		n := otpcode.Normalise(guess)
		if len(n) != otpcode.Length {
			t.Fatalf("%q normalised to %q", guess, n)
		}
		for _, c := range []byte(n) {
			if c < '0' || c > '9' {
				t.Fatalf("%q normalised to %q", guess, n)
			}
		}
	})
}
