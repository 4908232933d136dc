package throttle

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBurstThenRefill(t *testing.T) {
	c := &clock{time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	l := New(30, 3, 100, c.now) // one token every 2 s
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("attempt %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 2*time.Second {
		t.Fatalf("fourth attempt: ok %v, wait %v; want refused for 2s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another key is limited by the first one's bucket")
	}
	// A refused attempt takes no token: after the wait exactly one passes.
	c.t = c.t.Add(2 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("refused after waiting the time it was told")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Error("two attempts passed after one refill")
	}
}

func TestTableStaysBounded(t *testing.T) {
	c := &clock{time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	l := New(60, 5, 64, c.now)
	for i := range 10_000 {
		l.Allow(fmt.Sprint("key", i))
		if n := l.Len(); n > 64 {
			t.Fatalf("table holds %d keys, bound is 64", n)
		}
	}
}

// When the table is full, buckets that have refilled go first: a key still
// being limited is not forgiven because others arrived.
func TestFullTableKeepsDrainingBuckets(t *testing.T) {
	c := &clock{time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	l := New(1, 5, 64, c.now)
	for i := range 63 {
		l.Allow(fmt.Sprint("key", i))
	}
	c.t = c.t.Add(10 * time.Minute)
	for range 5 {
		l.Allow("busy")
	}
	l.Allow("newcomer")
	if ok, _ := l.Allow("busy"); ok {
		t.Error("a drained bucket was evicted and its key started afresh")
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":           "192.0.2.1",
		"::ffff:192.0.2.1":    "192.0.2.1",
		"2001:db8:1:2:3::9":   "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::": "2001:db8:1:2::/64",
		"unix":                "unix",
	} {
		if got := AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, 300 * time.Millisecond: 1, 1500 * time.Millisecond: 2, 2 * time.Second: 2} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
