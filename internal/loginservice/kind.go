// Package loginservice is the external login services an organisation
// enables beside IMS Login Service: how each kind is spoken to (an explicit
// registry of Kinds: OpenID Connect now, SAML can be added beside it), the
// administrators' Service that keeps them (client secrets sealed), and the
// Handler that sends a browser to a service and takes it back.
//
// An account at a service is an identity keyed by (service, subject),
// never by email: it signs a member in only once it is linked to them
// through a registration link.
package loginservice

import (
	"context"
	"net/url"
)

// Identity is who a login service says signed in.
type Identity struct {
	Subject  string // the service's stable ID for the account
	Username string // the configured username claim, for people to read
	Email    string
	Name     string
	AMR      []string // how the account proved who it is, if the service says
}

// Config is one login service as a Kind needs it, its secret opened.
type Config struct {
	Issuer        string
	ClientID      string
	ClientSecret  string
	Scopes        []string
	UsernameClaim string
	RedirectURI   string // this service's callback on this server
}

// Attempt is what binds a callback to the sign-in that began it.
type Attempt struct {
	State    string
	Nonce    string
	Verifier string // PKCE code verifier
}

// Kind speaks to one type of login service.
type Kind interface {
	// Begin returns the address the browser is sent to.
	Begin(ctx context.Context, c Config, a Attempt) (string, error)
	// Finish checks the service's answer at the callback (its query)
	// and returns the identity it proves; any failure is an error.
	Finish(ctx context.Context, c Config, a Attempt, callback url.Values) (Identity, error)
}

// Registry maps each kind's stored name to its implementation.
type Registry map[string]Kind

// KindOIDC is the stored name of OpenID Connect login services.
const KindOIDC = "oidc"
