package server

import (
	"context"

	"imslogin/internal/oidc"
	"imslogin/internal/store"
)

// oidcProvider makes every organisation an OpenID Connect provider at
// /o/{url-name}, signing with keys sealed by the server's secret key.
func (p *parts) oidcProvider() (*oidc.Provider, error) {
	portals := p.opts.Portals
	if portals == nil {
		portals = noPortals{}
	}
	box := p.opts.Secrets.Box()
	return oidc.New(oidc.Deps{Orgs: p.db, Store: p.db, Portals: portals, Sessions: p.sessions,
		Keys: &oidc.Keys{Store: p.db, Box: box, Now: p.opts.Now}, Box: box, Pages: p.pages, Log: p.log,
		Now: p.opts.Now, PublicURL: p.cfg.PublicBaseURL()})
}

// noPortals is the registry of a server without one: no client is known.
type noPortals struct{}

func (noPortals) PortalByClientID(context.Context, int64, string) (oidc.Portal, error) {
	return oidc.Portal{}, store.ErrNotFound
}
func (noPortals) CheckPortalSecret(context.Context, int64, string, string) error {
	return store.ErrNotFound
}
func (noPortals) MayUse(context.Context, int64, oidc.Portal, store.Member) (bool, error) {
	return false, nil
}
