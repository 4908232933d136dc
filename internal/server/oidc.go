package server

import (
	"context"
	"errors"
	"time"

	"imslogin/internal/oidc"
	"imslogin/internal/portal"
	"imslogin/internal/store"
)

// oidcProvider makes every organisation an OpenID Connect provider at
// /o/{url-name}, signing with keys sealed by the server's secret key.
func (p *parts) oidcProvider(portals oidc.Portals) (*oidc.Provider, error) {
	box := p.opts.Secrets.Box()
	return oidc.New(oidc.Deps{Orgs: p.db, Store: p.db, Portals: portals, Sessions: p.sessions,
		Keys: &oidc.Keys{Store: p.db, Box: box, Now: p.opts.Now}, Box: box, Pages: p.pages, Log: p.log,
		Now: p.opts.Now, PublicURL: p.cfg.PublicBaseURL(), AccountName: p.loginServiceAdmin().AccountName})
}

// portalRegistry is the portals the provider and My Profile read: the
// store's, unless the options bring their own (tests).
func (p *parts) portalRegistry() oidc.Portals {
	if p.opts.Portals != nil {
		return p.opts.Portals
	}
	return registry{store: p.db, now: p.opts.Now}
}

// registry is the portal registry as the provider reads it: the store's
// portals, their secrets and their access rules.
type registry struct {
	store interface {
		PortalByClientID(ctx context.Context, clientID string) (store.Portal, error)
		PortalClient(ctx context.Context, clientID string, now time.Time) (store.Portal, []store.PortalSecret, error)
	}
	now func() time.Time
}

// portal finds a client of the organisation: a client ID of another
// organisation is not found.
func (g registry) portal(ctx context.Context, orgID int64, clientID string) (store.Portal, error) {
	p, err := g.store.PortalByClientID(ctx, clientID)
	if err == nil && p.OrgID != orgID {
		return store.Portal{}, store.ErrNotFound
	}
	return p, err
}

// PortalByClientID reads the portal with its secrets in one statement,
// without the access lists only MayUse needs.
func (g registry) PortalByClientID(ctx context.Context, orgID int64, clientID string) (oidc.Portal, error) {
	p, secrets, err := g.store.PortalClient(ctx, clientID, g.now())
	if err == nil && p.OrgID != orgID {
		err = store.ErrNotFound
	}
	if err != nil {
		return oidc.Portal{}, err
	}
	return oidc.Portal{ClientID: p.ClientID, Name: p.Name, RedirectURIs: p.RedirectURIs,
		PostLogoutRedirectURIs: p.PostLogoutRedirectURIs, Confidential: p.Confidential, FirstParty: p.FirstParty,
		AccessTokenLifetime: p.AccessTokenLifetime, RefreshTokenLifetime: p.RefreshTokenLifetime,
		IDTokenLifetime: p.IDTokenLifetime, SigningAlgorithm: p.SigningAlgorithm,
		BackchannelLogoutURI: p.BackchannelLogoutURI, RefreshGrace: p.RefreshGrace, RequirePKCE: p.RequirePKCE,
		AllowedScopes: p.AllowedScopes, Access: p.Access, Secrets: secrets}, nil
}

func (g registry) CheckPortalSecret(ctx context.Context, orgID int64, p oidc.Portal, secret string) error {
	if !p.Confidential || !portal.VerifySecret(p.Secrets, secret, g.now()) {
		return errWrongSecret
	}
	return nil
}

var errWrongSecret = errors.New("wrong client secret")

// MayUse reads the portal's access lists only when its rule has one.
func (g registry) MayUse(ctx context.Context, orgID int64, op oidc.Portal, m store.Member) (bool, error) {
	if op.Access == store.PortalAccessAll {
		return portal.MayUse(store.Portal{OrgID: orgID, Access: store.PortalAccessAll}, m), nil
	}
	p, err := g.portal(ctx, orgID, op.ClientID)
	if err != nil {
		return false, err
	}
	return portal.MayUse(p, m), nil
}
