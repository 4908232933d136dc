// Package throttle limits how often one key (a client address, an
// organisation) may act: a token bucket per key, in memory on each node, in
// a table of bounded size so a flood of keys cannot exhaust memory.
package throttle

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter holds one token bucket per key.
type Limiter struct {
	every   rate.Limit
	burst   int
	maxKeys int
	now     func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// New allows each key burst actions at once, refilled at perMinute a
// minute, and remembers at most maxKeys keys.
func New(perMinute float64, burst, maxKeys int, now func() time.Time) *Limiter {
	return &Limiter{every: rate.Limit(perMinute / 60), burst: burst, maxKeys: max(maxKeys, 1), now: now,
		buckets: map[string]*rate.Limiter{}}
}

// Allow takes a token from key's bucket. When the bucket is empty it takes
// nothing and reports how long until a token is there.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		l.makeRoom(now)
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// makeRoom runs when the table is full: it drops every bucket that has
// refilled (forgetting it changes nothing), then, if still full, arbitrary
// ones, so the table never grows past maxKeys.
func (l *Limiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.maxKeys {
		return
	}
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.maxKeys*7/8 {
			break
		}
		delete(l.buckets, k)
	}
}

// Len is how many keys the table holds.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// RetryAfterSeconds is d rounded up to whole seconds, at least one, for a
// Retry-After header.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// AddressKey is the bucket key for a client address: the address itself
// for IPv4, its /64 network for IPv6, since one subscriber holds a whole
// /64 and could otherwise take a fresh bucket for every attempt.
func AddressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
