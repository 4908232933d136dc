package clientaddr

import (
	"net/netip"
	"testing"
)

// FuzzFromHeader: any forwarding header gives a valid address or none.
func FuzzFromHeader(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "10.0.0.1, 203.0.113.7", `for="[2001:db8::1]:4711"`, "for=192.0.2.60;proto=http",
		"unknown", "", "[::ffff:192.0.2.1]", "1.2.3.4:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got, ok := fromHeader([]string{header})
		if !ok {
			return
		}
		if a, err := netip.ParseAddr(got); err != nil || a.Is4In6() {
			t.Fatalf("%q gave %q", header, got)
		}
	})
}
