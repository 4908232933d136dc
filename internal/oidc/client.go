package oidc

import (
	"context"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/store"
)

// Portal is what the provider needs of a registered portal (an OpenID
// Connect client). The portal registry (store.Portals) supplies it.
type Portal struct {
	ClientID               string
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	Confidential           bool // has a secret: a web server, not a browser or device app
	FirstParty             bool // the organisation's own: no consent asked
	AccessTokenLifetime    time.Duration
	RefreshTokenLifetime   time.Duration
	IDTokenLifetime        time.Duration
	SigningAlgorithm       string // ES256 (default) or RS256
	// RefreshGrace is how long a rotated refresh token still works, for
	// portals whose clients race (two tabs refreshing at once); 0: reuse
	// revokes the family at once.
	RefreshGrace         time.Duration
	BackchannelLogoutURI string // told when a session that signed in to it ends; "" for never
	// RequirePKCE refuses an authorization request without a code
	// challenge; a public portal requires one whatever this says.
	RequirePKCE bool
	// AllowedScopes are the scopes it may ask for; openid is always
	// allowed, so nil allows openid alone.
	AllowedScopes []string
	// Access is who may use it (store.PortalAccessAll: every active,
	// licensed member; then no access list needs reading).
	Access store.PortalAccess
	// Secrets are the hashes of a confidential portal's secrets that work
	// now, read with it: the registry checks a secret against them.
	Secrets []store.PortalSecret
}

// Portals is the portal registry the provider reads.
type Portals interface {
	// PortalByClientID returns store.ErrNotFound for an unknown client.
	PortalByClientID(ctx context.Context, orgID int64, clientID string) (Portal, error)
	// CheckPortalSecret returns an error unless secret is the portal's.
	CheckPortalSecret(ctx context.Context, orgID int64, p Portal, secret string) error
	// MayUse reports whether the member is allowed into the portal.
	MayUse(ctx context.Context, orgID int64, p Portal, m store.Member) (bool, error)
}

// Lifetimes used when a portal sets none.
const (
	DefaultAccessTokenLifetime  = 10 * time.Minute
	DefaultRefreshTokenLifetime = 30 * 24 * time.Hour
	DefaultIDTokenLifetime      = time.Hour
)

func (p Portal) accessLifetime() time.Duration {
	return orDefault(p.AccessTokenLifetime, DefaultAccessTokenLifetime)
}
func (p Portal) refreshLifetime() time.Duration {
	return orDefault(p.RefreshTokenLifetime, DefaultRefreshTokenLifetime)
}
func (p Portal) algorithm() string {
	if p.SigningAlgorithm == RS256 {
		return RS256
	}
	return ES256
}

// client adapts a portal to the op package.
type client struct {
	portal   Portal
	urlName  string
	insecure bool // an http public URL: development, where http redirect URIs are allowed
}

var _ op.Client = client{}

func (c client) GetID() string                    { return c.portal.ClientID }
func (c client) RedirectURIs() []string           { return c.portal.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return c.portal.PostLogoutRedirectURIs }

// ApplicationType: public portals are treated as browser apps, never as
// native ones, whose loopback redirect URIs match on any port: redirect
// URIs must match exactly.
func (c client) ApplicationType() op.ApplicationType {
	if c.portal.Confidential {
		return op.ApplicationTypeWeb
	}
	return op.ApplicationTypeUserAgent
}

func (c client) AuthMethod() oidc.AuthMethod {
	if c.portal.Confidential {
		return oidc.AuthMethodBasic
	}
	return oidc.AuthMethodNone
}

func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c client) GrantTypes() []oidc.GrantType {
	g := []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	if c.portal.Confidential {
		g = append(g, oidc.GrantTypeClientCredentials)
	}
	return g
}

// LoginURL is where the browser goes after the authorization request is
// stored: the provider's own step that finds or asks for a sign-in.
func (c client) LoginURL(id string) string {
	return "/o/" + url.PathEscape(c.urlName) + continuePath + "?id=" + url.QueryEscape(id)
}

// AccessTokenType: opaque access tokens, looked up on every use, so
// revocation, sign-out and disabling a member take effect at once.
func (c client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }

func (c client) IDTokenLifetime() time.Duration {
	return orDefault(c.portal.IDTokenLifetime, DefaultIDTokenLifetime)
}

func (c client) DevMode() bool { return c.insecure }

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string     { return keepScopes }
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string { return keepScopes }
func keepScopes(s []string) []string                                          { return s }

// IsScopeAllowed admits the one scope beyond the standard ones.
func (c client) IsScopeAllowed(scope string) bool { return scope == ScopeRoles }

// IDTokenUserinfoClaimsAssertion puts the profile and email claims in the
// ID token too, so a portal need not call userinfo.
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) ClockSkew() time.Duration             { return 0 }

// ScopeRoles asks for the member's roles.
const ScopeRoles = "roles"

// Scopes are the scopes the provider knows.
var Scopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess, ScopeRoles}

func hasScope(scopes []string, s string) bool { return slices.Contains(scopes, s) }

// mayAsk reports whether the portal is allowed the scope.
func (p Portal) mayAsk(scope string) bool {
	return scope == oidc.ScopeOpenID || slices.Contains(p.AllowedScopes, scope)
}

// portalScopes keeps the scopes of a request the provider knows, in the
// request's order, and refuses one the portal is not allowed
// (invalid_scope). Scopes the provider does not know are ignored, as
// OpenID Connect Core 1.0 §3.1.2.1 asks: the op package already drops
// most of them before storage sees the request, but keeps phone and
// address, which this provider does not serve.
func portalScopes(p Portal, scopes []string) ([]string, error) {
	var kept []string
	for _, s := range scopes {
		if !slices.Contains(Scopes, s) || slices.Contains(kept, s) {
			continue
		}
		if !p.mayAsk(s) {
			return nil, oidc.ErrInvalidScope().WithDescription("this portal is not allowed the scope %q", s)
		}
		kept = append(kept, s)
	}
	return kept, nil
}
