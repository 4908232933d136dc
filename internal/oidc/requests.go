package oidc

import (
	"context"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"imslogin/internal/store"
)

// tenant is what one request to /o/{url-name}/ carries: its organisation,
// the browser binding cookie, and what storage learns on the way.
type tenant struct {
	org        store.Organisation
	urlName    string
	issuer     string
	browser    []byte // SHA-256 of the auth-request cookie, if any
	requestURI bool   // the authorization request had request_uri
	// atOnce: the authorization request is answered in its own round trip
	// (answerAtOnce), so storage keeps a new request in pending, not the
	// database, until it is known whether the member must be asked.
	atOnce     bool
	pending    *store.AuthRequest
	alg        string            // the portal's signing algorithm, once it is loaded
	portals    map[string]Portal // read in this request, by client ID
	r          *http.Request
	signedOut  string                     // where RP-initiated logout goes without a valid id_token_hint
	endSession func(sub, clientID string) // ends the browser's session if its member is sub, at clientID's request
}

type tenantKey struct{}

func withTenant(ctx context.Context, t *tenant) context.Context {
	return context.WithValue(ctx, tenantKey{}, t)
}

func tenantFrom(ctx context.Context) *tenant {
	t, _ := ctx.Value(tenantKey{}).(*tenant)
	if t == nil {
		return &tenant{}
	}
	return t
}

// authRequest adapts a stored request to the op package.
type authRequest struct {
	a   store.AuthRequest
	sub string // the member's subject, once signed in
}

func (r *authRequest) GetID() string         { return r.a.ID }
func (r *authRequest) GetACR() string        { return acrOf(r.a.AMR) }
func (r *authRequest) GetAMR() []string      { return r.a.AMR }
func (r *authRequest) GetAudience() []string { return []string{r.a.ClientID} }
func (r *authRequest) GetAuthTime() time.Time {
	return r.a.AuthTime
}
func (r *authRequest) GetClientID() string { return r.a.ClientID }
func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.a.CodeChallenge, Method: oidc.CodeChallengeMethod(r.a.CodeChallengeMethod)}
}
func (r *authRequest) GetNonce() string                   { return r.a.Nonce }
func (r *authRequest) GetRedirectURI() string             { return r.a.RedirectURI }
func (r *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(r.a.ResponseType) }
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(r.a.ResponseMode) }
func (r *authRequest) GetScopes() []string                { return r.a.Scopes }
func (r *authRequest) GetState() string                   { return r.a.State }
func (r *authRequest) GetSubject() string                 { return r.sub }
func (r *authRequest) Done() bool                         { return r.a.Done }

// refreshRequest is a refresh token being exchanged.
type refreshRequest struct {
	t      store.Token
	m      store.Member // the member it speaks for, read with it
	sub    string
	scopes []string
	// inGrace: the token was rotated already, within its portal's grace
	// period; a new pair is issued without spending it again.
	inGrace bool
}

func (r *refreshRequest) GetAMR() []string            { return r.t.AMR }
func (r *refreshRequest) GetAudience() []string       { return []string{r.t.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.t.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.t.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.scopes }
func (r *refreshRequest) GetSubject() string          { return r.sub }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.scopes = s }

// portalRequest is a portal asking for a token for itself (client credentials).
type portalRequest struct {
	clientID string
	scopes   []string
}

func (r *portalRequest) GetSubject() string    { return r.clientID }
func (r *portalRequest) GetAudience() []string { return []string{r.clientID} }
func (r *portalRequest) GetScopes() []string   { return r.scopes }

// acrOf names how strongly the member authenticated: "mfa" after a second
// factor, "pwd" after a password alone.
func acrOf(amr []string) string {
	for _, m := range amr {
		if m == "mfa" || m == "otp" || m == "sms" || m == "hwk" {
			return ACRMultiFactor
		}
	}
	return ACRPassword
}

// The acr values the provider issues.
const (
	ACRPassword    = "pwd"
	ACRMultiFactor = "mfa"
)
