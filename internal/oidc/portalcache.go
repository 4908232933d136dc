package oidc

import (
	"context"
	"sync"
	"time"
)

// portalCacheTTL is how long a node keeps a portal it read. Every token,
// introspection and authorization request reads its portal, the secrets'
// hashes with it; a second's reuse takes that read off most requests.
// Changes made through this node (PortalsChanged) take effect at once;
// made elsewhere (another node, `ims portal`), within portalCacheTTL.
const portalCacheTTL = time.Second

// portalCacheSize bounds the entries kept: the cache is emptied when full.
// Only portals that exist are kept, so made-up client IDs cannot fill it.
const portalCacheSize = 4096

// portalCache remembers portals by organisation and client ID, in real
// time (not the provider's clock, which tests may stop). Access lists are
// not in it: MayUse reads them each time a rule has one.
type portalCache struct {
	Portals
	mu sync.RWMutex
	m  map[portalKey]cachedPortal
}

type portalKey struct {
	orgID    int64
	clientID string
}

type cachedPortal struct {
	portal  Portal
	expires time.Time
}

func newPortalCache(p Portals) *portalCache {
	return &portalCache{Portals: p, m: make(map[portalKey]cachedPortal)}
}

func (c *portalCache) PortalByClientID(ctx context.Context, orgID int64, clientID string) (Portal, error) {
	key, now := portalKey{orgID, clientID}, time.Now()
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.portal, nil
	}
	p, err := c.Portals.PortalByClientID(ctx, orgID, clientID)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	if len(c.m) >= portalCacheSize {
		clear(c.m)
	}
	c.m[key] = cachedPortal{portal: p, expires: now.Add(portalCacheTTL)}
	c.mu.Unlock()
	return p, nil
}

// forget drops every entry: portals change rarely, so a change here
// costs each portal one read.
func (c *portalCache) forget() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
