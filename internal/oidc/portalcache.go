package oidc

import (
	"context"
	"time"
)

// portalCacheTTL is how long a node keeps a portal it read. Every token,
// introspection and authorization request reads its portal, the secrets'
// hashes with it; a second's reuse takes that read off most requests.
// Changes made through this node (PortalsChanged) take effect at once;
// made elsewhere (another node, `ims portal`), within portalCacheTTL.
const portalCacheTTL = time.Second

// portalCacheSize bounds the portals kept.
const portalCacheSize = 4096

// portalCache remembers portals by organisation and client ID. Access
// lists are not in it: MayUse reads them each time a rule has one.
type portalCache struct {
	Portals
	kept *recent[portalKey, Portal]
}

type portalKey struct {
	orgID    int64
	clientID string
}

func newPortalCache(p Portals) *portalCache {
	return &portalCache{Portals: p, kept: newRecent[portalKey, Portal](portalCacheTTL, portalCacheSize)}
}

func (c *portalCache) PortalByClientID(ctx context.Context, orgID int64, clientID string) (Portal, error) {
	return c.kept.get(portalKey{orgID, clientID}, func() (Portal, error) {
		return c.Portals.PortalByClientID(ctx, orgID, clientID)
	})
}

// forget drops every portal kept: portals change rarely, so a change
// costs each portal one read.
func (c *portalCache) forget() { c.kept.forget() }
