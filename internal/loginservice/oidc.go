package loginservice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDC is an OpenID Connect upstream: authorization code with PKCE, the ID
// token's signature, issuer, audience, expiry and nonce checked by go-oidc.
type OIDC struct {
	Client *http.Client // for discovery, keys and the token request
	Now    func() time.Time

	mu        sync.Mutex
	providers map[string]cachedProvider
}

// providerLifetime is how long a discovery document is trusted before it
// is read again; go-oidc refreshes the keys by itself when a new key ID
// appears.
const providerLifetime = time.Hour

type cachedProvider struct {
	p  *gooidc.Provider
	at time.Time
}

func (o *OIDC) context(ctx context.Context) context.Context {
	if o.Client != nil {
		return gooidc.ClientContext(ctx, o.Client)
	}
	return ctx
}

func (o *OIDC) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// provider reads the issuer's discovery document, or its cached copy. The
// key set it holds lives beyond the request, so it is fetched with a
// context of its own (carrying only the client).
func (o *OIDC) provider(ctx context.Context, issuer string) (*gooidc.Provider, error) {
	o.mu.Lock()
	c, ok := o.providers[issuer]
	o.mu.Unlock()
	if ok && o.now().Sub(c.at) < providerLifetime {
		return c.p, nil
	}
	p, err := gooidc.NewProvider(o.context(context.WithoutCancel(ctx)), issuer)
	if err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", issuer, err)
	}
	o.mu.Lock()
	if o.providers == nil {
		o.providers = map[string]cachedProvider{}
	}
	o.providers[issuer] = cachedProvider{p: p, at: o.now()}
	o.mu.Unlock()
	return p, nil
}

func (o *OIDC) oauth(p *gooidc.Provider, c Config) *oauth2.Config {
	scopes := []string{gooidc.ScopeOpenID}
	for _, s := range c.Scopes {
		if s != gooidc.ScopeOpenID {
			scopes = append(scopes, s)
		}
	}
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.RedirectURI, Scopes: scopes}
}

// Begin returns the authorization request's address.
func (o *OIDC) Begin(ctx context.Context, c Config, a Attempt) (string, error) {
	p, err := o.provider(ctx, c.Issuer)
	if err != nil {
		return "", err
	}
	return o.oauth(p, c).AuthCodeURL(a.State, gooidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier)), nil
}

// ErrRefused is a service that answered with an error (the person
// cancelled, or the service refused them).
var ErrRefused = errors.New("the login service refused the sign-in")

// Finish exchanges the code (with the PKCE verifier) and verifies the ID
// token the service returns.
func (o *OIDC) Finish(ctx context.Context, c Config, a Attempt, callback url.Values) (Identity, error) {
	if e := callback.Get("error"); e != "" {
		return Identity{}, fmt.Errorf("%w: %s", ErrRefused, e)
	}
	code := callback.Get("code")
	if code == "" {
		return Identity{}, errors.New("the callback has no code")
	}
	p, err := o.provider(ctx, c.Issuer)
	if err != nil {
		return Identity{}, err
	}
	tok, err := o.oauth(p, c).Exchange(o.context(ctx), code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("code exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, errors.New("the token response has no ID token")
	}
	return verified(o.context(ctx), p.Verifier(&gooidc.Config{ClientID: c.ClientID, Now: o.now}), raw, a.Nonce, c.UsernameClaim)
}

// verified checks raw, the ID token a service returned, with v (the
// service's keys, issuer, our client ID, expiry) and the sign-in's nonce,
// and reads the identity from it.
func verified(ctx context.Context, v *gooidc.IDTokenVerifier, raw, nonce, usernameClaim string) (Identity, error) {
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("ID token: %w", err)
	}
	if idt.Nonce != nonce {
		return Identity{}, errors.New("ID token: the nonce is not this sign-in's")
	}
	return identityOf(idt, usernameClaim)
}

func identityOf(idt *gooidc.IDToken, usernameClaim string) (Identity, error) {
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, err
	}
	text := func(name string) string { s, _ := claims[name].(string); return s }
	id := Identity{Subject: idt.Subject, Email: text("email"), Name: text("name")}
	if amr, ok := claims["amr"].([]any); ok {
		for _, v := range amr {
			if s, ok := v.(string); ok {
				id.AMR = append(id.AMR, s)
			}
		}
	}
	for _, claim := range []string{usernameClaim, "preferred_username", "email"} {
		if id.Username = text(claim); id.Username != "" {
			break
		}
	}
	if id.Username == "" {
		id.Username = id.Subject
	}
	if id.Subject == "" {
		return Identity{}, errors.New("ID token: no subject")
	}
	return id, nil
}
