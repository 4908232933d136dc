package oidc

import (
	"context"
	"sync"
	"time"

	"imslogin/internal/store"
)

// orgCacheTTL is how long a node keeps an organisation found by its URL
// name. Every request to an issuer finds its organisation first; the
// provider uses only its ID, which never changes, so the one thing a
// cached entry can get wrong is a URL name changed within the last
// orgCacheTTL: the old name still answers on nodes that read it, for at
// most that long.
const orgCacheTTL = 2 * time.Second

// orgCacheSize bounds the entries kept: the cache is emptied when full.
// Only organisations that exist are kept, so requests for made-up names
// cannot fill it.
const orgCacheSize = 4096

// orgCache remembers organisations found by URL name, in real time (not
// the provider's clock, which tests may stop).
type orgCache struct {
	orgs Organisations
	mu   sync.RWMutex
	m    map[string]cachedOrg
}

type cachedOrg struct {
	org     store.Organisation
	expires time.Time
}

func newOrgCache(orgs Organisations) *orgCache {
	return &orgCache{orgs: orgs, m: make(map[string]cachedOrg)}
}

func (c *orgCache) OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.m[urlName]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.org, nil
	}
	org, err := c.orgs.OrganisationByURLName(ctx, urlName)
	if err != nil {
		return org, err
	}
	c.mu.Lock()
	if len(c.m) >= orgCacheSize {
		clear(c.m)
	}
	c.m[urlName] = cachedOrg{org: org, expires: now.Add(orgCacheTTL)}
	c.mu.Unlock()
	return org, nil
}
