package oidc

import (
	"sync"
	"time"
)

// recent remembers values read for ttl, in real time (not the provider's
// clock, which tests may stop). Only values read without error are kept,
// so requests for what does not exist cannot fill it; it is emptied when
// it holds size entries.
type recent[K comparable, V any] struct {
	ttl  time.Duration
	size int
	mu   sync.RWMutex
	m    map[K]recentValue[V]
}

type recentValue[V any] struct {
	v       V
	expires time.Time
}

func newRecent[K comparable, V any](ttl time.Duration, size int) *recent[K, V] {
	return &recent[K, V]{ttl: ttl, size: size, m: make(map[K]recentValue[V])}
}

// get returns key's value, reading it with read unless one read within ttl
// is kept.
func (c *recent[K, V]) get(key K, read func() (V, error)) (V, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if len(c.m) >= c.size {
		clear(c.m)
	}
	c.m[key] = recentValue[V]{v: v, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return v, nil
}

// forget drops every entry.
func (c *recent[K, V]) forget() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// len is the number of entries kept.
func (c *recent[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
