package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// refreshPrefix marks a refresh token's ID for RevokeToken, which is
// given either an access token's ID or a refresh token.
const refreshPrefix = "refresh:"

// CreateAccessToken stores an opaque access token: its ID is random, only
// its hash is kept, and the op package encrypts ID and subject into the
// bearer string the portal receives.
func (s *storage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	if r, ok := request.(*authRequest); ok {
		return s.exchangeCode(ctx, r)
	}
	t, err := s.newToken(ctx, request, store.TokenAccess)
	if err != nil {
		return "", time.Time{}, err
	}
	id := randomID(32)
	t.Hash = hashOf(id)
	return id, t.ExpiresAt, s.store.CreateTokens(ctx, t)
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token
// of the same family. Given the refresh token being exchanged, it first
// rotates it in one conditional write: of concurrent uses one wins, and a
// token used before revokes its whole family.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	var accessID, refreshToken string
	var expires time.Time
	// One transaction: the old refresh token is spent only if the new pair
	// is written, so a failure in between never leaves the portal without
	// a refresh token, and a grant costs one commit instead of three.
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.redeemCode(ctx, request); err != nil {
			return err
		}
		var err error
		accessID, refreshToken, expires, err = s.rotateAndIssue(ctx, request, current)
		return err
	})
	err = s.codeRefusal(ctx, request, err)
	if errors.Is(err, errRefreshReused) {
		// Revoked outside the rolled-back transaction, so the revocation stays.
		s.reuseDetected(ctx, current)
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token used before")
	}
	if err != nil {
		return "", "", time.Time{}, err
	}
	return accessID, refreshToken, expires, nil
}

var errRefreshReused = errors.New("refresh token used before")

// rotateAndIssue spends current (if any) and writes a new access and
// refresh token, with the transaction ctx carries.
func (s *storage) rotateAndIssue(ctx context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	org := tenantFrom(ctx).org.ID
	if rr, ok := request.(*refreshRequest); current != "" && !(ok && rr.inGrace) {
		err := s.store.RotateRefreshToken(ctx, org, hashOf(current), s.now())
		if errors.Is(err, store.ErrNotFound) { // rotated by a request at once, or gone
			t, terr := s.store.TokenByHash(ctx, org, store.TokenRefresh, hashOf(current))
			if terr != nil || !s.withinGrace(ctx, t) {
				return "", "", time.Time{}, errRefreshReused
			}
			err = nil
		}
		if err != nil {
			return "", "", time.Time{}, err
		}
	}
	access, err := s.newToken(ctx, request, store.TokenAccess)
	if err != nil {
		return "", "", time.Time{}, err
	}
	refresh := access
	refresh.Kind, refresh.SessionID = store.TokenRefresh, 0
	p, err := s.portal(ctx, access.ClientID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	refresh.ExpiresAt = s.now().Add(p.refreshLifetime())
	if rr, ok := request.(*refreshRequest); ok {
		refresh.ExpiresAt = rr.t.ExpiresAt // rotation does not extend the family's life
	}
	accessID, refreshToken := randomID(32), randomID(32)
	access.Hash, refresh.Hash = hashOf(accessID), hashOf(refreshToken)
	if err := s.store.CreateTokens(ctx, access, refresh); err != nil {
		return "", "", time.Time{}, err
	}
	return accessID, refreshToken, access.ExpiresAt, nil
}

// reuseDetected revokes the family of a refresh token used again.
func (s *storage) reuseDetected(ctx context.Context, token string) {
	org := tenantFrom(ctx).org.ID
	t, err := s.store.TokenByHash(ctx, org, store.TokenRefresh, hashOf(token))
	if err != nil {
		return // gone already: revoked before
	}
	n, err := s.store.RevokeFamily(ctx, org, t.Family)
	if err != nil {
		s.log.Error("revoke a reused refresh token's family", "err", err)
		return
	}
	s.audit(ctx, audit.TokenReuse, t.MemberID, fmt.Sprintf("%s: refresh token used again; %d tokens revoked", t.ClientID, n))
}

// newToken fills a token from what it is issued for.
func (s *storage) newToken(ctx context.Context, request op.TokenRequest, kind string) (store.Token, error) {
	now := s.now()
	t := store.Token{OrgID: tenantFrom(ctx).org.ID, Kind: kind, Scopes: request.GetScopes(), CreatedAt: now}
	switch r := request.(type) {
	case *authRequest:
		t.Family, t.ClientID, t.MemberID, t.AMR, t.AuthTime = r.a.ID, r.a.ClientID, r.a.MemberID, r.a.AMR, r.a.AuthTime
		if !hasScope(r.a.Scopes, oidc.ScopeOfflineAccess) {
			t.SessionID = r.a.SessionID // ends with the member's session
		}
	case *refreshRequest:
		t.Family, t.ClientID, t.MemberID, t.AMR, t.AuthTime = r.t.Family, r.t.ClientID, r.t.MemberID, r.t.AMR, r.t.AuthTime
	case *portalRequest:
		t.Family, t.ClientID = randomID(18), r.clientID
	default:
		return t, fmt.Errorf("token request of type %T is not supported", request)
	}
	p, err := s.portal(ctx, t.ClientID)
	if err != nil {
		return t, err
	}
	t.ExpiresAt = now.Add(p.accessLifetime())
	return t, nil
}

// TokenRequestByRefreshToken reads a live refresh token. One rotated
// already is reuse: its family is revoked.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	org := tenantFrom(ctx).org.ID
	h, err := s.store.HeldToken(ctx, org, store.TokenRefresh, hashOf(token), s.now())
	if err != nil {
		return nil, op.ErrInvalidRefreshToken
	}
	t := h.Token
	inGrace := false
	if !t.RotatedAt.IsZero() {
		if inGrace = s.withinGrace(ctx, t); !inGrace {
			s.reuseDetected(ctx, token)
			return nil, errors.New("refresh token used before")
		}
	}
	if !s.now().Before(t.ExpiresAt) {
		return nil, errors.New("refresh token expired")
	}
	if err := mayStillSignIn(h.Member); err != nil {
		return nil, err
	}
	if !h.Admitted {
		return nil, errNoLongerAdmitted
	}
	scopes, err := s.stillAllowed(ctx, t)
	if err != nil {
		return nil, err
	}
	return &refreshRequest{t: t, m: h.Member, sub: s.subject(org, t.MemberID), scopes: scopes, inGrace: inGrace}, nil
}

// stillAllowed narrows a refresh token's scopes to those its portal is
// allowed now, so an administrator's narrowing reaches tokens already
// issued at their next refresh. A token that outlives sessions
// (offline_access) ends once the portal loses that scope.
func (s *storage) stillAllowed(ctx context.Context, t store.Token) ([]string, error) {
	p, err := s.portal(ctx, t.ClientID)
	if err != nil {
		return nil, err
	}
	if hasScope(t.Scopes, oidc.ScopeOfflineAccess) && !p.mayAsk(oidc.ScopeOfflineAccess) {
		return nil, errors.New("the portal is no longer allowed offline_access")
	}
	return slices.DeleteFunc(slices.Clone(t.Scopes), func(sc string) bool { return !p.mayAsk(sc) }), nil
}

// withinGrace reports whether a rotated refresh token is still inside its
// portal's grace period.
func (s *storage) withinGrace(ctx context.Context, t store.Token) bool {
	p, err := s.portal(ctx, t.ClientID)
	return err == nil && p.RefreshGrace > 0 && s.now().Before(t.RotatedAt.Add(p.RefreshGrace))
}

// activeMember is the member a token speaks for, if they may still sign in.
func (s *storage) activeMember(ctx context.Context, orgID, memberID int64) (store.Member, error) {
	m, err := s.store.MemberByID(ctx, orgID, memberID)
	if err != nil {
		return m, err
	}
	return m, mayStillSignIn(m)
}

func mayStillSignIn(m store.Member) error {
	if m.Status != store.StatusActive || !m.Licensed {
		return errors.New("the member may no longer sign in")
	}
	return nil
}

// liveAccessToken is a stored access token still valid: not expired, its
// session (if bound to one) still on, its member still allowed to sign
// in. One statement reads all three.
func (s *storage) liveAccessToken(ctx context.Context, tokenID string) (store.Token, store.Member, error) {
	h, err := s.store.HeldToken(ctx, tenantFrom(ctx).org.ID, store.TokenAccess, hashOf(tokenID), s.now())
	switch {
	case err != nil:
		return h.Token, h.Member, err
	case !s.now().Before(h.ExpiresAt):
		return h.Token, h.Member, errors.New("access token expired")
	case !h.SessionOn:
		return h.Token, h.Member, errors.New("the session the token was issued in has ended")
	case h.MemberID == 0:
		return h.Token, store.Member{}, nil
	}
	return h.Token, h.Member, mayStillSignIn(h.Member)
}

func (s *storage) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, clientID string, scopes []string) error {
	return nil // SetUserinfoFromRequest does it
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, request op.IDTokenRequest, scopes []string) error {
	org := tenantFrom(ctx).org.ID
	var memberID, sessionID int64
	switch r := request.(type) {
	case *authRequest:
		memberID, sessionID = r.a.MemberID, r.a.SessionID
	case *refreshRequest:
		// Read with the refresh token, in this request.
		s.fill(ctx, info, r.m, scopes)
		return nil
	default:
		return fmt.Errorf("ID token for a request of type %T", request)
	}
	m, err := s.activeMember(ctx, org, memberID)
	if err != nil {
		return err
	}
	s.fill(ctx, info, m, scopes)
	if sessionID != 0 {
		info.AppendClaims("sid", s.opaque("sid", org, sessionID))
	}
	return nil
}

// fill sets the member's claims the scopes ask for.
func (s *storage) fill(ctx context.Context, info *oidc.UserInfo, m store.Member, scopes []string) {
	t := tenantFrom(ctx)
	info.Subject = s.subject(m.OrgID, m.ID)
	info.AppendClaims("org", t.urlName)
	if hasScope(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = m.Email, oidc.Bool(m.EmailVerified)
	}
	if hasScope(scopes, oidc.ScopeProfile) {
		info.Name = m.Name
	}
	if hasScope(scopes, ScopeRoles) {
		info.AppendClaims("roles", []string{string(m.Role)})
	}
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	t, m, err := s.liveAccessToken(ctx, tokenID)
	if err != nil {
		return err
	}
	if t.MemberID == 0 {
		return errors.New("a portal's own token has no user")
	}
	s.fill(ctx, info, m, t.Scopes)
	return nil
}

// SetIntrospectionFromToken answers a confidential portal of the
// organisation (the op package authenticated it).
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, m, err := s.liveAccessToken(ctx, tokenID)
	if err != nil {
		return err
	}
	resp.Scope, resp.ClientID, resp.TokenType = t.Scopes, t.ClientID, oidc.BearerToken
	resp.Expiration, resp.IssuedAt = oidc.FromTime(t.ExpiresAt), oidc.FromTime(t.CreatedAt)
	resp.Audience, resp.Issuer = []string{t.ClientID}, tenantFrom(ctx).issuer
	resp.Subject = t.ClientID
	if t.MemberID != 0 {
		info := new(oidc.UserInfo)
		s.fill(ctx, info, m, t.Scopes)
		resp.SetUserInfo(info)
		resp.AuthTime, resp.AuthenticationMethodsReferences = oidc.FromTime(t.AuthTime), t.AMR
	}
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	return nil, nil // access tokens are opaque: no claims
}

// GetRefreshTokenInfo tells the revocation endpoint whose refresh token it is.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	org := tenantFrom(ctx).org.ID
	t, err := s.store.TokenByHash(ctx, org, store.TokenRefresh, hashOf(token))
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return s.subject(org, t.MemberID), refreshPrefix + token, nil
}

// RevokeToken revokes a portal's own token (RFC 7009): a refresh token
// with its family, an access token alone. Unknown tokens are no error.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	org := tenantFrom(ctx).org.ID
	kind, id := store.TokenAccess, tokenOrID
	if rest, ok := strings.CutPrefix(tokenOrID, refreshPrefix); ok {
		kind, id = store.TokenRefresh, rest
	}
	t, err := s.store.TokenByHash(ctx, org, kind, hashOf(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was issued to another portal")
	}
	if kind == store.TokenRefresh {
		_, err = s.store.RevokeFamily(ctx, org, t.Family)
	} else {
		err = s.store.DeleteToken(ctx, org, kind, t.Hash)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	return errors.New("not used: TerminateSessionFromRequest ends sessions")
}

// TerminateSessionFromRequest ends the browser's session for RP-initiated
// logout, only with a valid id_token_hint naming the session's member;
// without one nothing ends and the browser goes to the sign-in page, never
// to the portal's post_logout_redirect_uri.
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	t := tenantFrom(ctx)
	if req.IDTokenHintClaims == nil {
		return t.signedOut, nil
	}
	if t.endSession != nil {
		t.endSession(req.UserID, req.ClientID)
	}
	s.audit(ctx, audit.PortalSignout, 0, req.ClientID)
	return req.RedirectURI, nil
}
