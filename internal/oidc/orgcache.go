package oidc

import (
	"context"
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

// orgCacheSize bounds the organisations kept.
const orgCacheSize = 4096

// orgCache remembers organisations found by URL name.
type orgCache struct {
	orgs Organisations
	kept *recent[string, store.Organisation]
}

func newOrgCache(orgs Organisations) *orgCache {
	return &orgCache{orgs: orgs, kept: newRecent[string, store.Organisation](orgCacheTTL, orgCacheSize)}
}

func (c *orgCache) OrganisationByURLName(ctx context.Context, urlName string) (store.Organisation, error) {
	return c.kept.get(urlName, func() (store.Organisation, error) { return c.orgs.OrganisationByURLName(ctx, urlName) })
}
