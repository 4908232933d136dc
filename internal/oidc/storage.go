package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// Store is what the provider keeps and reads.
type Store interface {
	store.Grants
	store.SigningKeys
	store.Consents
	store.Logouts
	MemberByID(ctx context.Context, orgID, id int64) (store.Member, error)
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
	store.Transactor
}

// Lifetimes of what the provider keeps between requests.
const (
	AuthRequestLifetime = 30 * time.Minute // time to sign in, with every step
	CodeLifetime        = 60 * time.Second
)

// storage implements op.Storage for every organisation: each call finds
// its organisation on the context (tenant), never in its arguments.
type storage struct {
	store    Store
	portals  Portals
	keys     *Keys
	subKey   []byte // HMAC key of subjects and session IDs
	insecure bool
	now      func() time.Time
	log      *slog.Logger
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// opaque is a stable, opaque identifier of what within an organisation:
// the member's subject or a session's sid. It reveals no database ID.
func (s *storage) opaque(kind string, orgID, id int64) string {
	mac := hmac.New(sha256.New, s.subKey)
	fmt.Fprintf(mac, "%s %d %d", kind, orgID, id)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:20])
}

func (s *storage) subject(orgID, memberID int64) string { return s.opaque("sub", orgID, memberID) }

func (s *storage) audit(ctx context.Context, kind string, memberID int64, detail string) {
	t := tenantFrom(ctx)
	e := store.AuditEvent{OrgID: t.org.ID, At: s.now(), Kind: kind, MemberID: memberID, Detail: detail}
	if t.r != nil {
		e = audit.Event(audit.OriginOf(t.r), s.now(), t.org.ID, kind)
		e.MemberID, e.Detail = memberID, detail
	}
	if err := s.store.AppendAuditEvent(ctx, &e); err != nil {
		s.log.Error("audit", "kind", kind, "err", err)
	}
}

// --- clients ---

// portal reads a portal of the request's organisation once a request:
// the library asks for the client several times in one token request.
func (s *storage) portal(ctx context.Context, clientID string) (Portal, error) {
	t := tenantFrom(ctx)
	if p, ok := t.portals[clientID]; ok {
		return p, nil
	}
	p, err := s.portals.PortalByClientID(ctx, t.org.ID, clientID)
	if err != nil {
		return p, err
	}
	if t.portals == nil {
		t.portals = make(map[string]Portal, 1)
	}
	t.portals[clientID], t.alg = p, p.algorithm()
	return p, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	p, err := s.portal(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) { // the caller's mistake, not the server's: no 500, no error log
		return nil, oidc.ErrInvalidClient().WithDescription("no portal with this client ID in this organisation")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return client{portal: p, urlName: tenantFrom(ctx).urlName, insecure: s.insecure}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	p, err := s.portal(ctx, clientID)
	if err != nil {
		return err
	}
	return s.portals.CheckPortalSecret(ctx, tenantFrom(ctx).org.ID, p, secret)
}

func (s *storage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	p, err := s.portal(ctx, clientID)
	if err != nil || !p.Confidential {
		return nil, errors.New("unknown portal, or a public one")
	}
	if err := s.AuthorizeClientIDSecret(ctx, clientID, secret); err != nil {
		return nil, err
	}
	return client{portal: p, urlName: tenantFrom(ctx).urlName, insecure: s.insecure}, nil
}

// ClientCredentialsTokenRequest refuses a scope the portal is not
// allowed, as an authorization request does; openid and offline_access
// mean nothing without a member and are dropped.
func (s *storage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	p, err := s.portal(ctx, clientID)
	if err != nil {
		return nil, err
	}
	kept, err := portalScopes(p, scopes)
	if err != nil {
		return nil, err
	}
	kept = slices.DeleteFunc(kept, func(sc string) bool { return sc == oidc.ScopeOfflineAccess || sc == oidc.ScopeOpenID })
	return &portalRequest{clientID: clientID, scopes: kept}, nil
}

// --- authorization requests and codes ---

func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	t := tenantFrom(ctx)
	if t.requestURI {
		return nil, &oidc.Error{ErrorType: "request_uri_not_supported", Description: "request_uri is not supported"}
	}
	p, err := s.portal(ctx, req.ClientID)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if err := checkPKCE(p, req); err != nil {
		return nil, err
	}
	if err := checkSizes(req); err != nil {
		return nil, err
	}
	scopes, err := portalScopes(p, req.Scopes)
	if err != nil {
		return nil, err
	}
	req.Scopes = scopes
	if req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery {
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode: only query is supported")
	}
	now := s.now()
	maxAge := int64(-1)
	if req.MaxAge != nil {
		maxAge = int64(*req.MaxAge)
	}
	a := store.AuthRequest{ID: randomID(18), OrgID: t.org.ID, ClientID: req.ClientID, RedirectURI: req.RedirectURI,
		State: req.State, Nonce: req.Nonce, Scopes: req.Scopes, ResponseType: string(req.ResponseType),
		ResponseMode: string(req.ResponseMode), CodeChallenge: req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod), Prompt: req.Prompt, MaxAge: maxAge,
		ACRValues: req.ACRValues, IDTokenHintSubject: hintSubject, BrowserHash: t.browser, CreatedAt: now,
		ExpiresAt: now.Add(AuthRequestLifetime)}
	if t.atOnce {
		t.pending = &a
		return &authRequest{a: a}, nil
	}
	if err := s.store.CreateAuthRequest(ctx, &a); err != nil {
		return nil, err
	}
	return &authRequest{a: a}, nil
}

// Bounds of what an authorization request may store: generous for any
// portal, small enough that a request body of a megabyte is never kept.
const (
	maxStateBytes  = 4096
	maxNonceBytes  = 1024
	maxScopes      = 20
	maxScopeBytes  = 128
	maxACRValues   = 10
	maxChallengeLn = 128 // an S256 challenge is 43 characters
)

// checkSizes refuses parameters too large to keep.
func checkSizes(req *oidc.AuthRequest) error {
	tooLong := func(name string) error {
		return oidc.ErrInvalidRequest().WithDescription("%s is too long", name)
	}
	switch {
	case len(req.State) > maxStateBytes:
		return tooLong("state")
	case len(req.Nonce) > maxNonceBytes:
		return tooLong("nonce")
	case len(req.CodeChallenge) > maxChallengeLn:
		return tooLong("code_challenge")
	case len(req.Scopes) > maxScopes || len(req.ACRValues) > maxACRValues:
		return oidc.ErrInvalidRequest().WithDescription("too many scopes or acr_values")
	}
	for _, s := range append(append([]string{}, req.Scopes...), req.ACRValues...) {
		if len(s) > maxScopeBytes {
			return tooLong("a scope or acr value")
		}
	}
	return nil
}

// checkPKCE requires S256 from public portals and from portals that
// require PKCE, and refuses plain from all.
func checkPKCE(p Portal, req *oidc.AuthRequest) error {
	if req.CodeChallenge == "" {
		if !p.Confidential || p.RequirePKCE {
			return oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256")
		}
		return nil
	}
	if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	return nil
}

func (s *storage) request(a store.AuthRequest) *authRequest {
	r := &authRequest{a: a}
	if a.MemberID != 0 {
		r.sub = s.subject(a.OrgID, a.MemberID)
	}
	return r
}

// AuthRequestByID serves the library's callback: only to the browser the
// request is bound to.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	t := tenantFrom(ctx)
	a, err := s.store.AuthRequestByID(ctx, t.org.ID, id)
	if err != nil {
		return nil, err
	}
	if a.BrowserHash == nil || !hmac.Equal(a.BrowserHash, t.browser) || !s.now().Before(a.ExpiresAt) {
		return nil, errors.New("authorization request not found for this browser")
	}
	return s.request(a), nil
}

// SaveAuthCode gives a completed request its code; a request answered
// in its own round trip (still pending) is stored now, with the code.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	t, expires := tenantFrom(ctx), s.now().Add(CodeLifetime)
	if a := t.pending; a != nil && a.ID == id && a.Done {
		a.CodeHash, a.CodeExpiresAt = hashOf(code), expires
		if a.ExpiresAt.Before(expires) {
			a.ExpiresAt = expires
		}
		return s.store.CreateAuthRequest(ctx, a)
	}
	return s.store.SaveAuthCode(ctx, t.org.ID, id, hashOf(code), expires)
}

// AuthRequestByCode finds a code's request without spending it: the op
// package checks the client secret and PKCE verifier after this call, and
// a failed check must leave the code to the right exchange. The code is
// spent with the tokens it buys (redeemCode). A code used before revokes
// every token issued from it.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	a, err := s.store.AuthRequestByCode(ctx, tenantFrom(ctx).org.ID, hashOf(code))
	if err != nil {
		return nil, err
	}
	if !a.CodeUsedAt.IsZero() {
		s.codeReused(ctx, a)
		return nil, errCodeReused
	}
	if !s.now().Before(a.CodeExpiresAt) {
		return nil, errors.New("authorization code expired")
	}
	return s.request(a), nil
}

// DeleteAuthRequest keeps the request: its used code must still be
// recognised if it comes again. Housekeeping deletes it once expired.
func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error { return nil }

// --- keys ---

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	t := tenantFrom(ctx)
	alg := t.alg
	if alg == "" {
		alg = ES256
	}
	return s.keys.Signing(ctx, t.org.ID, alg)
}

func (s *storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256, jose.RS256}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	list, err := s.keys.Published(ctx, tenantFrom(ctx).org.ID)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(list))
	for i, k := range list {
		out[i] = k
	}
	return out, nil
}

func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not supported")
}

func (s *storage) ValidateJWTProfileScopes(ctx context.Context, userID string, scopes []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *storage) Health(ctx context.Context) error { return nil }
